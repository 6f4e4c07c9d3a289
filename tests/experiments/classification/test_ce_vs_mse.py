"""The ce-vs-mse experiment: its judge on synthetic metrics, and its quick mode end to end."""

import pytest

from mllab.experiments.classification.ce_vs_mse import LossSurfaceSettings, judge_ce_vs_mse


@pytest.mark.parametrize(("ce", "mse", "verdict"), [
    ((0.9, 0.92, 0.91), (0.37, 0.4, 0.38), "reproduced"),
    ((0.37, 0.4, 0.38), (0.9, 0.92, 0.91), "not reproduced"),
    ((0.9, 0.4, 0.6), (0.5, 0.6, 0.62), "inconclusive"),
])
def test_judge(ce, mse, verdict):
    m = {"cross-entropy": {"accuracy": list(ce), "grad_norm_start": [3.0] * 3},
         "mse": {"accuracy": list(mse), "grad_norm_start": [0.1] * 3}}
    evidence = judge_ce_vs_mse(m, LossSurfaceSettings())
    assert evidence.verdict() == verdict
    assert "30.0" in evidence.demonstrations[0].shown  # the gradient ratio teaches, not judges


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("ce-vs-mse")["checks"]) == 1
