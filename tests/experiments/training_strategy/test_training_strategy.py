"""The training-strategy experiment: its judge on synthetic metrics (each part held,
contradicted, within noise), and its quick mode end to end."""

import copy

import pytest

from mllab.experiments.training_strategy.training_strategy import StrategySettings, judge_strategy

GOOD = {
    "depth": {"shallow_train_loss": [0.01, 0.02, 0.015], "deep_train_loss": [2.3, 2.29, 2.31]},
    "cross_validation": [{"lowest_train_degree": 8, "test_mse_cv_choice": c,
                          "test_mse_lowest_train": w} for c, w in
                         ((3000.0, 4000.0), (3100.0, 3900.0), (3050.0, 4200.0))],
    "leaderboard": {"public": {"random_fraction": 0.85}, "validation": {"random_fraction": 0.0},
                    "private_accuracy": {"public": [0.5, 0.52, 0.48, 0.51],
                                         "validation": [0.97, 0.96, 0.98, 0.97]}},
    "regularization": {"gap": {"none": [1.2, 1.3, 1.25], "l2": [0.6, 0.7, 0.65],
                               "dropout": [0.8, 0.9, 0.85],
                               "early-stopping": [0.1, 0.2, 0.15]}},
}


def _with(path, value):
    m = copy.deepcopy(GOOD)
    node = m
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return m


@pytest.mark.parametrize(("metrics", "index", "outcome"), [
    (GOOD, None, "held"),
    (_with(("depth", "deep_train_loss"), [0.001, 0.002, 0.001]), 0, "contradicted"),
    (_with(("leaderboard", "private_accuracy", "public"), [0.9, 0.92, 0.95, 0.93]), 2,
     "contradicted"),
    (_with(("regularization", "gap", "dropout"), [1.5, 1.0, 1.4]), 5, "within noise"),
])
def test_judge(metrics, index, outcome):
    evidence = judge_strategy(metrics, StrategySettings())
    outcomes = [c.outcome() for c in evidence.checks]
    assert len(outcomes) == 7 and len(evidence.demonstrations) == 2
    if index is None:
        assert outcomes == ["held"] * 7 and evidence.verdict() == "reproduced"
    else:
        assert outcomes[index] == outcome
        assert outcomes[:index] + outcomes[index + 1:] == ["held"] * 6
        assert evidence.verdict() == ("not reproduced" if outcome == "contradicted"
                                      else "inconclusive")


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("training-strategy")["checks"]) == 7
