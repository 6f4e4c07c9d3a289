"""The regression-depth experiment: its judge on synthetic metrics, and its quick mode."""

import pytest

from mllab.experiments.regression.regression_depth import DepthSettings, judge_depth

TRAIN = [[0.04, 0.05, 0.045], [0.016, 0.02, 0.018], [0.003, 0.004, 0.0035],
         [0.0006, 0.0008, 0.0007]]


@pytest.mark.parametrize(("valid_last", "outcome", "verdict"), [
    ([2.0, 2.1, 1.9], "held", "reproduced"),
    ([1.0, 1.1, 0.9], "contradicted", "not reproduced"),
    ([2.0, 1.0, 1.5], "within noise", "inconclusive"),
])
def test_judge(valid_last, outcome, verdict):
    valid = [[1.5, 1.6, 1.4], [1.6, 1.7, 1.5], [1.5, 1.5, 1.5], valid_last]
    evidence = judge_depth({"train_mse": TRAIN, "valid_mse": valid}, DepthSettings())
    assert [c.outcome() for c in evidence.checks] == ["held", "held", "held", outcome]
    assert evidence.verdict() == verdict


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("regression-depth")["checks"]) == 4
