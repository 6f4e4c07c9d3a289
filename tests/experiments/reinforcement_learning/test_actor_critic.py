"""The actor-critic experiment: episodes to solve by hand, its judge on hand-made metrics for
every outcome, the settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.reinforcement_learning.actor_critic import (
    ActorCriticSettings,
    episodes_to_solve,
    judge_actor_critic,
)


def test_episodes_to_solve_by_hand():
    returns = [10.0] * 5 + [500.0] * 25
    # the mean of the last 20 first reaches 475 with 19 of 20 at 500: (19 * 500 + 10) / 20
    assert episodes_to_solve(returns) == (24, True)
    assert episodes_to_solve([10.0] * 30) == (30, False)


def _metrics(a2c_episodes, rb_episodes, gap):
    return {"runs": [{"a2c": {"episodes_to_solve": a, "eval_return": 300 + g, "solved": True},
                      "reinforce-baseline": {"episodes_to_solve": b, "eval_return": 300,
                                             "solved": True}}
                     for a, b, g in zip(a2c_episodes, rb_episodes, gap, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([100, 125, 110], [300, 350, 325], [10, 0, 20]), ["held"] * 2, "reproduced"),
    (_metrics([300, 350, 325], [100, 125, 110], [-100, -120, -90]), ["contradicted"] * 2,
     "not reproduced"),
    (_metrics([100, 350, 200], [200, 150, 200], [-60, 40, -10]), ["within noise"] * 2,
     "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_actor_critic(metrics, ActorCriticSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="updates must be >= 1"):
        ActorCriticSettings(updates=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("actor-critic")
    assert len(result["checks"]) == 2
    run = result["metrics"]["runs"][0]
    assert set(run) == {"a2c", "reinforce-baseline"}
    assert all(0 < x["episodes_to_solve"] <= 20 for x in run.values())  # 4 updates of 5
