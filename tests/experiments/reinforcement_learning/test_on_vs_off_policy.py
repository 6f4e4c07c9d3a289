"""The on-vs-off-policy experiment: steps to reach the target by hand, its judge on hand-made
metrics for every outcome, the settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.reinforcement_learning.on_vs_off_policy import (
    OnVsOffPolicySettings,
    judge_on_vs_off_policy,
    steps_to_reach,
)


def test_steps_to_reach_by_hand():
    curve = [{"steps": 600, "episode_return": 20.0}, {"steps": 1300, "episode_return": 210.0},
             {"steps": 2000, "episode_return": 150.0}]
    assert steps_to_reach(curve, 200.0, 512) == (1300, True)
    assert steps_to_reach(curve, 300.0, 512) == (512, False)


def _metrics(once_steps, clip_steps, importance_drift, gap):
    return {"runs": [{"once": {"steps_to_reach": a, "drift": 0.001, "eval_return": 100.0,
                               "reached": True},
                      "clip": {"steps_to_reach": b, "drift": 0.01, "eval_return": 300.0 + g,
                               "reached": True},
                      "importance": {"steps_to_reach": b, "drift": d, "eval_return": 300.0,
                                     "reached": True}}
                     for a, b, d, g in zip(once_steps, clip_steps, importance_drift, gap,
                                           strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([40000, 45000, 42000], [15000, 12000, 14000], [0.1, 0.2, 0.15], [100, 90, 120]),
     ["held"] * 3, "reproduced"),
    (_metrics([10000, 12000, 11000], [40000, 45000, 42000], [0.001, 0.002, 0.0015],
              [-100, -90, -120]), ["contradicted"] * 3, "not reproduced"),
    (_metrics([40000, 10000, 30000], [20000, 30000, 25000], [0.1, 0.001, 0.01],
              [100, -100, 0]), ["within noise"] * 3, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_on_vs_off_policy(metrics, OnVsOffPolicySettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="epochs must be >= 2"):
        OnVsOffPolicySettings(epochs=1)
    with pytest.raises(ValueError, match="batches must be >= 1"):
        OnVsOffPolicySettings(batches=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("on-vs-off-policy")
    assert len(result["checks"]) == 3
    run = result["metrics"]["runs"][0]
    assert set(run) == {"once", "importance", "clip"}
    for x in run.values():
        assert len(x["curve"]) == 4  # 4 batches of at least 256 steps
        assert x["curve"][0]["steps"] >= 256 and x["drift"] > 0
