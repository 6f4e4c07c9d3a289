"""The feature-scaling experiment: its judge on synthetic metrics, and its quick mode."""

import pytest

from mllab.experiments.adaptive_lr.feature_scaling import (
    FeatureScalingSettings,
    judge_feature_scaling,
)


def _metrics(raw_updates, std_updates):
    n = len(raw_updates)
    version = {"condition_number": [5e7] * n, "excess_at_budget": [0.1] * n,
               "predicted_excess_at_budget": [0.1] * n}
    return {"raw": {**version, "updates": raw_updates},
            "standardized": {**version, "condition_number": [500] * n,
                             "updates": std_updates}}


@pytest.mark.parametrize(("raw", "std", "verdict"), [
    ([None, None, None], [13, 14, 12], "reproduced"),  # raw never gets there: >= the budget
    ([20, 25, 18], [13, 14, 12], "not reproduced"),
    ([None, 20, 3000], [13, 14, 12], "inconclusive"),
    ([None, None, None], [13, None, 12], "inconclusive"),  # the precondition fails
])
def test_judge(raw, std, verdict):
    evidence = judge_feature_scaling(_metrics(raw, std), FeatureScalingSettings())
    assert evidence.verdict() == verdict
    assert len(evidence.demonstrations) == 2  # condition numbers and the closed form teach


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("feature-scaling")["checks"]) == 1
