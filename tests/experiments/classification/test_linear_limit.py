"""The linear-limit experiment: its judge on synthetic metrics, and its quick mode end to end."""

import pytest

from mllab.experiments.classification.linear_limit import LinearLimitSettings, judge_linear_limit


@pytest.mark.parametrize(("line", "cascade", "verdict"), [
    ((0.75, 0.76, 0.75), (1.0, 1.0, 0.995), "reproduced"),
    ((0.995, 1.0, 0.999), (1.0, 1.0, 0.995), "not reproduced"),  # a line separates it
    ((0.75, 0.76, 0.75), (1.0, 0.75, 0.99), "inconclusive"),
])
def test_judge(line, cascade, verdict):
    m = {"best_linear_accuracy": list(line), "cascade_accuracy": list(cascade),
         "best_linear_accuracy_transformed": list(cascade), "logistic_accuracy": [0.5] * 3}
    assert judge_linear_limit(m, LinearLimitSettings()).verdict() == verdict


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("linear-limit")["checks"]) == 2
