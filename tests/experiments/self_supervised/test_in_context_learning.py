"""The in-context-learning experiment: its judge on hand-made error curves for every outcome,
and its quick mode end to end."""

import pytest

from mllab.experiments.self_supervised.in_context_learning import (
    InContextSettings,
    judge_in_context,
)


def _curves(start, end, K=4):
    return [start + (end - start) * k / K for k in range(K + 1)]


def _metrics(tf_end, knn_end, ls_end=0.0, spread=(0.0, 0.01, -0.01)):
    return {"errors": {
        "transformer": [_curves(1.0, tf_end + s) for s in spread],
        "least squares": [_curves(1.0, ls_end) for _ in spread],
        "3-NN": [_curves(1.0, knn_end + s) for s in spread]},
        "final_loss": [0.2, 0.21, 0.19]}


@pytest.mark.parametrize(("tf_end", "knn_end", "outcomes", "verdict"), [
    (0.1, 0.8, ["held"] * 3, "reproduced"),
    (0.9, 0.8, ["within noise", "contradicted", "contradicted"], "not reproduced"),
    (1.5, 0.8, ["contradicted", "contradicted", "contradicted"], "not reproduced"),
    (0.28, 0.8, ["held", "held", "within noise"], "inconclusive"),  # mean gap 0.175
    (0.1, 0.15, ["held", "within noise", "held"], "inconclusive"),
])
def test_judge(tf_end, knn_end, outcomes, verdict):
    evidence = judge_in_context(_metrics(tf_end, knn_end), InContextSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    close = evidence.checks[2]
    assert close.below and close.threshold == InContextSettings().close_to_ls


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("in-context-learning")
    errors = result["metrics"]["errors"]
    K = InContextSettings.quick().K
    assert all(len(c) == K + 1 for curves in errors.values() for c in curves)
    for ls, knn in zip(errors["least squares"], errors["3-NN"], strict=True):
        assert ls[0] == pytest.approx(knn[0])  # with no example both predict 0
