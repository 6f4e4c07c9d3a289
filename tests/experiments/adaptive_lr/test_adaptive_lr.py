"""The adaptive-lr experiment: its path measurements by hand, and its quick mode end to end."""


import pytest
import torch

from mllab.analysis import elongated_bowl
from mllab.experiments.adaptive_lr.adaptive_lr import axis_report, first_at_most, sign_changes


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


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("adaptive-lr")
