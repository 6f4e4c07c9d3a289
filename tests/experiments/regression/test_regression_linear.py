"""The regression-linear experiment: its judge on synthetic metrics (held, contradicted, within
noise), and its quick mode end to end."""

import pytest

from mllab.experiments.regression.regression_linear import LinearSettings, judge_linear


def _metrics(excess, one_valid, seven_valid):
    return {"1-day": {"relative_excess_loss": excess, "valid_mse": one_valid},
            "7-days": {"relative_excess_loss": [1e-6] * len(excess), "valid_mse": seven_valid}}


@pytest.mark.parametrize(("metrics", "verdict", "outcomes"), [
    (_metrics([1e-7, 2e-7, 1e-7], [0.6, 0.7, 0.65], [0.2, 0.25, 0.22]), "reproduced",
     ["held", "held"]),
    (_metrics([1e-7, 2e-7, 1e-7], [0.2, 0.25, 0.22], [0.6, 0.7, 0.65]), "not reproduced",
     ["held", "contradicted"]),
    (_metrics([1e-7, 2e-7, 1e-7], [0.6, 0.2, 0.4], [0.4, 0.5, 0.35]), "inconclusive",
     ["held", "within noise"]),
    (_metrics([5e-3, 6e-3, 7e-3], [0.6, 0.7, 0.65], [0.2, 0.25, 0.22]), "not reproduced",
     ["contradicted", "held"]),
    (_metrics([1e-7], [0.6], [0.2]), "inconclusive", ["within noise", "within noise"]),
])
def test_judge(metrics, verdict, outcomes):
    evidence = judge_linear(metrics, LinearSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("regression-linear")
    assert len(result["checks"]) == 2 and all(len(c["values"]) == 2 for c in result["checks"])
