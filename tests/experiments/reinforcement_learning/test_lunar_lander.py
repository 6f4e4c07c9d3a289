"""The lunar-lander experiment: a landing's path, its judge on hand-made metrics for every
outcome, the settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.reinforcement_learning.lunar_lander import (
    LunarLanderSettings,
    judge_lunar_lander,
    landing,
)


def test_a_landing_path_runs_from_the_start_to_the_end():
    import gymnasium as gym

    env = gym.make("LunarLander-v3")
    path = landing(lambda obs: 0, env, seed=3)  # engines off: it falls until it lands or crashes
    start, _ = env.reset(seed=3)
    assert path[0] == pytest.approx(start[:2].tolist())
    assert 1 < len(path) < 1000
    assert path[-1][1] < 0.2 < path[0][1]


def _metrics(ac, pg):
    return {"runs": [{"actor-critic": {"final_return": a}, "policy-gradient": {"final_return": p},
                      "random": -180.0} for a, p in zip(ac, pg, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcome", "verdict"), [
    (_metrics([50, 80, 60], [-100, -90, -120]), "held", "reproduced"),
    (_metrics([-100, -90, -120], [50, 80, 60]), "contradicted", "not reproduced"),
    (_metrics([50, -100, 0], [-50, 40, 10]), "within noise", "inconclusive"),
])
def test_judge(metrics, outcome, verdict):
    evidence = judge_lunar_lander(metrics, LunarLanderSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome]
    assert evidence.verdict() == verdict
    assert "a random policy -180.0" in evidence.notes[0]


def test_settings_ranges():
    with pytest.raises(ValueError, match="updates must be >= 1"):
        LunarLanderSettings(updates=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("lunar-lander")
    assert len(result["checks"]) == 1
    run = result["metrics"]["runs"][0]
    assert set(run) == {"actor-critic", "policy-gradient", "random"}
    assert all(x["final_sd"] >= 0 for k, x in run.items() if k != "random")
