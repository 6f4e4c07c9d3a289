"""The q-learning-vs-sarsa experiment: the clearance of paths by hand, its judge on hand-made
metrics for every outcome, the settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.reinforcement_learning.q_learning_vs_sarsa import (
    CliffSettings,
    clearance,
    judge_cliff,
)

EDGE = [36, 24, *range(25, 36), 47]  # up, along row 2, down: the optimal path
TOP = [36, 24, 12, 0, *range(1, 12), 23, 35, 47]  # along the top row


def test_clearance_by_hand():
    assert len(EDGE) - 1 == 13 and clearance(EDGE) == 0
    assert clearance(TOP) == 2
    assert clearance([36, 24, 12, 13, 14, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 47]) == 0
    assert clearance([36, 24, 12, 13, 12, 13]) == -1  # never reaches the goal


def _metrics(gap, q_length, sarsa_clearance):
    return {"runs": [{"sarsa": {"online_return": -25.0 + g, "clearance": c,
                                "reaches_goal": c >= 0},
                      "q_learning": {"online_return": -25.0, "length": n, "reaches_goal": True}}
                     for g, n, c in zip(gap, q_length, sarsa_clearance, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([20, 25, 30], [13, 13, 13], [2, 2, 2]), ["held"] * 3, "reproduced"),
    (_metrics([-20, -25, -30], [17, 17, 18], [-1, -1, -1]), ["contradicted"] * 3,
     "not reproduced"),
    (_metrics([10, -10, 5], [13, 15, 17], [2, -1, 0]), ["within noise"] * 3, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_cliff(metrics, CliffSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\]"):
        CliffSettings(alpha=0)
    with pytest.raises(ValueError, match="episodes must be >= 2"):
        CliffSettings(episodes=1)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("q-learning-vs-sarsa")
    assert len(result["checks"]) == 3
    run = result["metrics"]["runs"][0]
    assert set(run) == {"sarsa", "q_learning"}
    assert run["q_learning"]["length"] >= 13 and run["sarsa"]["clearance"] >= -1
