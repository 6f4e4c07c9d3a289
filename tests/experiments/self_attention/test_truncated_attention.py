"""The truncated-attention experiment: the counted FLOPs against a count of the mask, its
comparison rule on hand-made metrics for every outcome, and its quick mode end to end."""

import pytest

from mllab.attention.masks import window_mask
from mllab.experiments.self_attention.truncated_attention import (
    TruncatedSettings,
    attention_flops,
    attention_pairs,
    judge_truncated,
)


@pytest.mark.parametrize(("T", "w"), [(1, 0), (5, 0), (8, 2), (32, 2), (10, 8), (10, 9), (7, 30)])
def test_pairs_equal_the_visible_entries_of_the_window_mask(T, w):
    assert attention_pairs(T, w) == int(window_mask(T, w, w).sum())
    assert attention_pairs(T, None) == T * T


def test_flops_are_four_d_per_pair():
    assert attention_flops(32, 16, None) == 4 * 16 * 32 * 32
    assert attention_flops(32, 16, 2) == 4 * 16 * (32 * 5 - 6)


def _metrics(full, truncated):
    return {"test_accuracy_runs": {"full": list(full), "truncated": list(truncated)},
            "majority_accuracy": [0.4, 0.41, 0.39],
            "cost": {"full": attention_flops(32, 32, None),
                     "truncated": attention_flops(32, 32, 2)}}


@pytest.mark.parametrize(("truncated", "outcome", "verdict"), [
    ((0.95, 0.96, 0.955), "held", "reproduced"),
    ((0.85, 0.86, 0.855), "contradicted", "not reproduced"),
    ((0.95, 0.90, 0.93), "within noise", "inconclusive"),
])
def test_judge(truncated, outcome, verdict):
    evidence = judge_truncated(_metrics((0.95, 0.955, 0.96), truncated), TruncatedSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome]
    assert evidence.verdict() == verdict
    assert "ratio 0.150" in evidence.demonstrations[0].shown  # (32*5 - 6) / 32^2, never decides


def test_a_task_not_learned_makes_the_verdict_inconclusive():
    evidence = judge_truncated(_metrics((0.45, 0.46, 0.44), (0.45, 0.46, 0.44)),
                               TruncatedSettings())
    assert evidence.checks[0].outcome() == "held" and not evidence.preconditions[0].holds
    assert evidence.verdict() == "inconclusive"


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("truncated-attention")
    assert result["metrics"]["cost"]["truncated"] < result["metrics"]["cost"]["full"]
