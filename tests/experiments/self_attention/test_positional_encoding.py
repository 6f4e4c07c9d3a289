"""The positional-encoding experiment: its comparison rule on hand-made metrics for every
outcome, the permutation-equivariance identity it demonstrates, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.self_attention.positional_encoding import (
    PositionalSettings,
    _model,
    equivariance_gap,
    judge_positional,
)


def _metrics(none, sinusoidal, learned):
    return {"test_accuracy_runs": {"none": list(none), "sinusoidal": list(sinusoidal),
                                   "learned": list(learned)},
            "equivariance_gap": {"none": [1e-15, 2e-15], "sinusoidal": [0.8, 0.9],
                                 "learned": [0.5, 0.7]}}


@pytest.mark.parametrize(("runs", "outcomes", "verdict"), [
    (((0.50, 0.51, 0.49), (0.99, 0.98, 1.0), (0.97, 0.99, 0.98)),
     ["held", "held", "held"], "reproduced"),
    (((0.50, 0.51, 0.49), (0.99, 0.98, 1.0), (0.35, 0.34, 0.36)),  # learned worse than none
     ["held", "held", "contradicted"], "not reproduced"),
    (((0.50, 0.51, 0.49), (0.99, 0.98, 1.0), (0.50, 0.49, 0.51)),  # learned no better
     ["held", "held", "within noise"], "inconclusive"),
    (((0.50, 0.51, 0.49), (0.99, 0.60, 0.80), (0.97, 0.99, 0.98)),
     ["held", "within noise", "held"], "inconclusive"),
    (((0.70, 0.71, 0.72), (0.99, 0.98, 1.0), (0.97, 0.99, 0.98)),
     ["contradicted", "held", "held"], "not reproduced"),
])
def test_judge(runs, outcomes, verdict):
    evidence = judge_positional(_metrics(*runs), PositionalSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert "2.00e-15" in evidence.demonstrations[0].shown  # the identity never decides


@pytest.mark.parametrize(("positional", "equivariant"), [("none", True), ("sinusoidal", False),
                                                         ("learned", False)])
def test_equivariance_gap_is_zero_only_without_positions(positional, equivariant):
    torch.manual_seed(0)
    model = _model(PositionalSettings(T=8, vocab=6), positional)
    x = torch.randint(0, 6, (16, 8), generator=torch.Generator().manual_seed(1))
    gap = equivariance_gap(model, x, torch.Generator().manual_seed(2))
    assert (gap < 1e-12) == equivariant


def test_bad_settings_raise():
    from mllab.experiments.base import SettingsError

    with pytest.raises(SettingsError, match="d_model"):
        PositionalSettings(d_model=30, num_heads=4)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("positional-encoding")
    assert set(result["metrics"]["test_accuracy"]) == {"none", "sinusoidal", "learned"}
