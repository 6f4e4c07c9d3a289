"""The 1-D loss curve of the momentum lecture and its critical points, by hand."""

import math

import pytest
import torch

from mllab.analysis import bowl_with_bump, curve_critical_points


def test_bowl_with_bump_closed_form():
    theta = torch.tensor([0.0, 1.5], dtype=torch.float64)
    value = bowl_with_bump(theta, a=1.0, c=1.5, h=1.0, b=0.0, w=0.25)
    expected = [0.5 * 1.5**2 + 1.0, math.exp(-1.5**2 / (2 * 0.0625))]
    torch.testing.assert_close(value, torch.tensor(expected, dtype=torch.float64))


def test_critical_points_of_a_double_well():
    points = curve_critical_points(lambda t: (t.square() - 1).square(), -2.0, 2.0, n=401)
    assert [p["kind"] for p in points] == ["minimum", "maximum", "minimum"]
    assert [p["theta"] for p in points] == pytest.approx([-1.0, 0.0, 1.0], abs=1e-12)
    assert [p["loss"] for p in points] == pytest.approx([0.0, 1.0, 0.0], abs=1e-12)
