"""The attack-defence experiment: the defended network, its judge on hand-made metrics for
every outcome, and its quick mode end to end."""

import pytest
import torch
from torch import nn

from mllab.adversarial import quantise
from mllab.experiments.adversarial.attack_defence import DefenceSettings, Defended, judge_defence


def test_the_defence_runs_before_the_network():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    x = torch.rand(3, 1, 2, 2)
    assert torch.equal(Defended(net, quantise)(x), net(quantise(x)))


def _metrics(defence_gain, adaptive_loss, robust_gain, cost):
    runs = []
    for d, a, g, c in zip(defence_gain, adaptive_loss, robust_gain, cost, strict=True):
        cell = {"clean": 0.95, "non_adaptive": 0.2 + d, "adaptive": 0.2 + d - a}
        runs.append({"undefended": 0.2, "defences": {"smoothing": cell, "quantisation": cell},
                     "adversarial_training": {"clean_accuracy": 0.96 - c,
                                              "standard_clean_accuracy": 0.96,
                                              "under_attack": 0.2 + g}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.5, 0.52, 0.5, 0.51, 0.5], [0.4, 0.42, 0.4, 0.41, 0.4],
              [0.5, 0.52, 0.5, 0.51, 0.5], [0.02, 0.021, 0.02, 0.022, 0.02]), ["held"] * 5,
     "reproduced"),
    (_metrics([-0.2, -0.21, -0.2, -0.22, -0.2], [-0.2, -0.21, -0.2, -0.22, -0.2],
              [-0.2, -0.21, -0.2, -0.22, -0.2], [-0.02, -0.021, -0.02, -0.022, -0.02]),
     ["contradicted"] * 5, "not reproduced"),
    (_metrics([0.5, -0.5, 0.2, -0.2, 0.0], [0.5, -0.5, 0.2, -0.2, 0.0],
              [0.5, -0.5, 0.2, -0.2, 0.0], [0.05, -0.05, 0.02, -0.02, 0.0]),
     ["within noise"] * 5, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_defence(metrics, DefenceSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="bits must be >= 1"):
        DefenceSettings(bits=0)
    with pytest.raises(ValueError, match=r"cost_margin must be in \[0, 1\)"):
        DefenceSettings(cost_margin=-0.1)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("attack-defence")
    assert len(result["checks"]) == 5
    assert set(result["metrics"]["runs"][0]["defences"]) == {"smoothing", "quantisation"}
