"""The domain-generalization experiment: its SYNTHETIC transforms, its judge on hand-made
metrics for every outcome (and unseen domains that are not shifted), and its quick mode end to
end."""

import pytest
import torch

from mllab.experiments.domain_adaptation.domain_generalization import (
    TRANSFORMS,
    GeneralizationSettings,
    judge_generalization,
    shifted,
    thick,
)


def test_the_transforms_move_and_thicken_a_stroke():
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 2:5, 3] = 1.0  # a vertical stroke
    moved = torch.zeros_like(x)
    moved[0, 0, 3:6, 4] = 1.0
    assert torch.equal(shifted(x, None), moved)
    assert torch.equal(thick(x, None), torch.maximum(x, moved).maximum(
        torch.roll(x, 1, dims=3)).maximum(torch.roll(x, 1, dims=2)))
    inverted = TRANSFORMS["inverted"](x, None)
    assert torch.equal(inverted, 1 - x)


def _metrics(gains, shift=0.4):
    runs = []
    for g in gains:
        single = {"clean": 0.95, **{d: 0.95 - shift for d in TRANSFORMS}}
        multi = {d: {"unseen": 0.95 - shift + g, "clean": 0.94} for d in TRANSFORMS}
        runs.append({"single": single, "multi": multi})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcome", "verdict"), [
    (_metrics([0.1, 0.12, 0.11, 0.1, 0.13]), "held", "reproduced"),
    (_metrics([-0.1, -0.12, -0.11, -0.1, -0.13]), "contradicted", "not reproduced"),
    (_metrics([0.1, -0.1, 0.05, -0.05, 0.0]), "within noise", "inconclusive"),
    (_metrics([0.1, 0.12, 0.11, 0.1, 0.13], shift=0.05), "held", "inconclusive"),
])
def test_judge(metrics, outcome, verdict):
    evidence = judge_generalization(metrics, GeneralizationSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome]
    assert evidence.verdict() == verdict


def test_the_judge_averages_the_held_out_domains():
    m = _metrics([0.0] * 5)
    for run in m["runs"]:
        run["multi"]["shifted"]["unseen"] += 0.4  # one domain gains 0.4: the mean gains 0.1
    assert judge_generalization(m, GeneralizationSettings()).checks[0].outcome() == "held"


def test_settings_ranges():
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        GeneralizationSettings(epochs=0)
    with pytest.raises(ValueError, match=r"margin must be in \[0, 1\)"):
        GeneralizationSettings(margin=1.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("domain-generalization")
    assert len(result["checks"]) == 1 and len(result["preconditions"]) == 1
    run = result["metrics"]["runs"][0]
    assert set(run["single"]) == {"clean", *TRANSFORMS} and set(run["multi"]) == set(TRANSFORMS)
