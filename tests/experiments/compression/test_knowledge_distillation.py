"""The knowledge-distillation experiment: its judge on hand-made metrics for every outcome
(and a teacher too weak to learn from), reading the temperature chosen on validation data, and
its quick mode end to end."""

import pytest

from mllab.experiments.compression.knowledge_distillation import (
    DistillationSettings,
    judge_distillation,
)


def _metrics(gains, teacher=0.97):
    r"""Per repeat: the distilled students' test gains over labels-only (two sizes) at the
    chosen T = 2; the unchosen T = 8 is worse on test and must not be read."""
    runs = []
    for g in gains:
        students = {w: {"labels": {"valid": 0.9, "test": 0.9},
                        "distilled": {"2": {"valid": 0.91, "test": 0.9 + g},
                                      "8": {"valid": 0.85, "test": 0.9 + g - 0.5}},
                        "T": "2", "parameters": 100} for w in ("4", "8")}
        runs.append({"teacher": {"test": teacher, "parameters": 1000}, "students": students})
    return {"runs": runs}


HELD = _metrics([0.03, 0.04, 0.035, 0.03, 0.04])
CONTRADICTED = _metrics([-0.03, -0.04, -0.035, -0.03, -0.04])
NOISE = _metrics([0.03, -0.03, 0.02, -0.02, 0.0])


@pytest.mark.parametrize(("metrics", "outcome", "verdict"), [
    (HELD, "held", "reproduced"),
    (CONTRADICTED, "contradicted", "not reproduced"),
    (NOISE, "within noise", "inconclusive"),
    (_metrics([0.03, 0.04, 0.035, 0.03, 0.04], teacher=0.9), "held", "inconclusive"),
])
def test_judge(metrics, outcome, verdict):
    evidence = judge_distillation(metrics, DistillationSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome]
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="temperatures must be one or more numbers > 0"):
        DistillationSettings(temperatures=())
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\]"):
        DistillationSettings(alpha=0.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("knowledge-distillation")
    assert len(result["checks"]) == 1 and len(result["preconditions"]) == 1
    student = result["metrics"]["runs"][0]["students"]["8"]
    assert student["T"] == "4" and set(student["distilled"]) == {"4"}
