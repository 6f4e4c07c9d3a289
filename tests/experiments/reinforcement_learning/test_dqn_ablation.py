"""The dqn-ablation experiment: its judge on hand-made metrics
for every outcome, the settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.reinforcement_learning.dqn_ablation import VARIANTS, DQNSettings, judge_dqn


def _metrics(full, others):
    return {"runs": [{"dqn": {"eval_return": f}, **{v: {"eval_return": o} for v in VARIANTS
                                                    if v != "dqn"}}
                     for f, o in zip(full, others, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([400, 450, 420], [100, 120, 90]), ["held"] * 3, "reproduced"),
    (_metrics([100, 120, 90], [400, 450, 420]), ["contradicted"] * 3, "not reproduced"),
    (_metrics([200, 400, 100], [300, 100, 200]), ["within noise"] * 3, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_dqn(metrics, DQNSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="learning_starts must be >= 64"):
        DQNSettings(learning_starts=10)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("dqn-ablation")
    assert len(result["checks"]) == 3
    run = result["metrics"]["runs"][0]
    assert set(run) == set(VARIANTS)
    assert all(x["eval_return"] >= 1 and x["episodes"] >= 1 for x in run.values())
