"""The adaptive-lr experiment: its path measurements by hand, and its quick mode end to end."""


import pytest
import torch

from mllab.analysis import elongated_bowl
from mllab.experiments.adaptive_lr.adaptive_lr import (
    DECAYED,
    SCHEDULES,
    AdaptiveSettings,
    adaptive_methods,
    axis_report,
    first_at_most,
    judge_adaptive,
    sign_changes,
)


def test_elongated_bowl_sign_changes_and_first_at_most_by_hand():
    theta = torch.tensor([[2.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert elongated_bowl(theta, lam=(1.0, 100.0)).tolist() == [52.0, 0.0]
    assert sign_changes(torch.tensor([1.0, -1.0, 2.0, 0.0, -3.0, 4.0])) == 3
    assert sign_changes(torch.tensor([1.0, 2.0, 3.0])) == 0
    assert first_at_most(torch.tensor([3.0, 2.0, 0.5, 0.1]), 0.5) == 2
    assert first_at_most(torch.tensor([3.0, 2.0]), 0.5) is None


def test_axis_report_by_hand():
    # |θ| falls to 0.05 at index 2, then a quiet stretch, then a burst to 0.8.
    theta = torch.tensor([1.0, 0.5, 0.05, 0.01, 0.001, 0.8, 0.0], dtype=torch.float64)
    r = axis_report(theta, lam=2.0, tol=0.1)
    assert r["settled"] == 2
    assert r["max_after"] == pytest.approx(0.8)
    assert r["largest_step"] == pytest.approx(0.8) and r["at"] == 6  # θ^5 -> θ^6
    assert r["quietest_gradient"] == pytest.approx(0.001)  # |g| = 2|θ|, relative to |g^0|
    # Effective η = |Δθ|/|g|: largest at the step 0.001 -> 0.8, 0.799 / 0.002, times λ/2.
    assert r["peak_effective_lr"] == pytest.approx(0.799 / 0.002)
    assert axis_report(torch.tensor([1.0, 0.9]), lam=1.0, tol=0.1) == {"settled": None}


def _report(closest=0.01, burst=None):
    steep = {"settled": 10} if burst is None else {"settled": 10, "max_after": burst}
    return {"min_distance": closest, "flat": {"settled": None}, "steep": steep,
            "steep_sign_changes": 0, "flat_progress": 0.5}


def _metrics(constant_burst=12.0, exponential_burst=0.5, rmsprop_closest=0.01):
    s = AdaptiveSettings()
    m = {name: [_report()] * 3 for name in adaptive_methods(s)}
    m["adagrad-constant"] = [_report(burst=b * s.tol)
                             for b in (constant_burst, constant_burst + 1, constant_burst + 2)]
    m["adagrad-constant_exponential-decay"] = [_report(burst=exponential_burst * s.tol)] * 3
    m["rmsprop"] = [_report(closest=c) for c in (rmsprop_closest, 0.02, 0.03)]
    return m


@pytest.mark.parametrize(("kwargs", "verdict"), [
    ({}, "reproduced"),
    ({"exponential_burst": 12.0}, "not reproduced"),  # every decay the experiment runs counts
    ({"constant_burst": 0.05}, "not reproduced"),  # no burst to remove
    ({"rmsprop_closest": 0.5}, "inconclusive"),  # RMSProp's closest distances straddle tol
])
def test_judge(kwargs, verdict):
    evidence = judge_adaptive(_metrics(**kwargs), AdaptiveSettings())
    assert len(evidence.checks) == 4 + 1 + len(DECAYED + SCHEDULES)
    assert evidence.verdict() == verdict
    assert len(evidence.demonstrations) == 2  # fixed-η gradient descent is a closed form


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("adaptive-lr")["checks"]) == 10
