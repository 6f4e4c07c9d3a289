"""The ddpg-pendulum experiment: its judge on hand-made metrics for every outcome, the
settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.reinforcement_learning.ddpg_pendulum import (
    POLICIES,
    DDPGSettings,
    judge_ddpg,
)


def _metrics(final, start, random):
    return {"runs": [{"final": f, "start": s, "random": r}
                     for f, s, r in zip(final, start, random, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([-150, -200, -170], [-1400, -1300, -1500], [-1200, -1250, -1180]),
     ["held", "held"], "reproduced"),
    (_metrics([-1500, -1450, -1600], [-700, -800, -750], [-600, -650, -700]),
     ["contradicted", "contradicted"], "not reproduced"),
    # far above random, but only 300 above the start: within the 500 margin
    (_metrics([-150, -200, -170], [-450, -500, -470], [-1200, -1250, -1180]),
     ["held", "within noise"], "inconclusive"),
    (_metrics([-150, -1500, -300], [-1400, -200, -1300], [-1200, -1250, -1180]),
     ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_ddpg(metrics, DDPGSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"learning_starts": 100}, r"learning_starts must be >= batch_size \(128\)"),
    ({"hidden": ()}, "hidden must be one or more widths >= 1"),
    ({"hidden": (64, 0)}, "hidden must be one or more widths >= 1"),
    ({"steps": 1}, "steps must be >= 2"),
    ({"return_margin": -1.0}, "return_margin must be >= 0"),
])
def test_settings_ranges(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DDPGSettings(**kwargs)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("ddpg-pendulum")
    assert len(result["checks"]) == 2
    run = result["metrics"]["runs"][0]
    assert set(run) == {*POLICIES, "episodes"} and run["episodes"] == 2
    # a return of Pendulum-v1's 200 steps lies in [-16.3 · 200, 0]
    assert all(-3300 < run[p] <= 0 for p in POLICIES)
