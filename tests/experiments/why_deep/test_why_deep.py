"""The why-deep experiment: the target function, equal parameter counts, its judge on
hand-made metrics for every outcome (and training that did not work), and its quick mode end
to end."""

import pytest
import torch

from mllab.experiments.why_deep.why_deep import (
    WhyDeepSettings,
    _networks,
    judge_why_deep,
    tent_power,
)
from mllab.nn import num_parameters, sawtooth


def test_the_target_is_the_constructed_sawtooth():
    x = torch.linspace(0, 1, 257, dtype=torch.float64).unsqueeze(1)
    for L in (1, 3, 6):
        assert torch.allclose(tent_power(x, L), sawtooth(L).double()(x), atol=1e-12)


def test_the_two_networks_have_the_same_parameter_count():
    nets = _networks(WhyDeepSettings())
    assert num_parameters(nets["deep"]) == num_parameters(nets["shallow"]) == 145
    assert nets["shallow"].config.widths == (48,)


def _metrics(deep, shallow, variance=0.08):
    r"""Per repeat: (MSE, regions) of the deep and of the shallow network."""
    runs = [{"deep": {"mse": d[0], "regions": d[1], "parameters": 145},
             "shallow": {"mse": w[0], "regions": w[1], "parameters": 145}}
            for d, w in zip(deep, shallow, strict=True)]
    return {"runs": runs, "variance": variance, "sawtooth_regions": {"1": 2, "2": 4}}


HELD = _metrics([(1e-4, 60), (2e-4, 55), (1e-4, 64), (3e-4, 50), (1e-4, 58)],
                [(5e-3, 30), (6e-3, 28), (5e-3, 31), (7e-3, 29), (5e-3, 30)])
CONTRADICTED = _metrics([(5e-3, 20), (6e-3, 18), (5e-3, 21), (7e-3, 19), (5e-3, 20)],
                        [(1e-4, 45), (2e-4, 46), (1e-4, 44), (3e-4, 47), (1e-4, 45)])
NOISE = _metrics([(1e-3, 40), (5e-3, 20), (2e-3, 45), (1e-3, 30), (4e-3, 35)],
                 [(2e-3, 30), (1e-3, 40), (3e-3, 30), (4e-3, 35), (1e-3, 40)])
STUCK = _metrics([(0.07, 2)] * 5, [(0.08, 2)] * 5)


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (HELD, ["held", "held"], "reproduced"),
    (CONTRADICTED, ["contradicted", "contradicted"], "not reproduced"),
    (NOISE, ["within noise", "within noise"], "inconclusive"),
    (STUCK, ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_why_deep(metrics, WhyDeepSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert evidence.preconditions[0].holds == (metrics is not STUCK)


def test_settings_ranges():
    with pytest.raises(ValueError, match="deep_depth must be >= 2"):
        WhyDeepSettings(deep_depth=1)
    with pytest.raises(ValueError, match=r"learned_fraction must be in \(0, 1\)"):
        WhyDeepSettings(learned_fraction=1.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("why-deep")
    assert len(result["checks"]) == 2 and len(result["demonstrations"]) == 1
    assert result["metrics"]["sawtooth_regions"] == {str(L): 2 ** L for L in range(1, 9)}
