"""Tests for mllab.nn.hard_sigmoid: a sum of two ReLUs, a ramp from 0 to c."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mllab.nn import hard_sigmoid

PARAMS = [(2.0, 0.5, 1.0), (-1.5, 3.0, -2.0), (0.7, -1.0, 0.25)]  # (c, b, w)


@pytest.mark.parametrize(("c", "b", "w"), PARAMS)
def test_equals_sum_of_two_relus(c: float, b: float, w: float) -> None:
    """The lecture's form c max(0, b + w x) + c' max(0, b' + w' x) with c'=-c, b'=b-1, w'=w."""
    x = torch.linspace(-10, 10, 2001, dtype=torch.float64)
    c2, b2, w2 = -c, b - 1, w
    two_relus = c * F.relu(b + w * x) + c2 * F.relu(b2 + w2 * x)
    torch.testing.assert_close(hard_sigmoid(x, c=c, b=b, w=w), two_relus, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("c", "b", "w"), PARAMS)
def test_is_a_ramp_from_0_to_c(c: float, b: float, w: float) -> None:
    x = torch.linspace(-10, 10, 2001, dtype=torch.float64)
    z = b + w * x
    h = hard_sigmoid(x, c=c, b=b, w=w)
    torch.testing.assert_close(h, c * z.clamp(0, 1), rtol=0, atol=1e-12)
    assert torch.all(h[z <= 0] == 0)
    torch.testing.assert_close(h[z >= 1], torch.full_like(h[z >= 1], c))
    inside = (z > 0) & (z < 1)
    assert inside.any()
    torch.testing.assert_close(h[inside], c * z[inside])  # the straight rise in between


def test_broadcasts_and_differentiates_parameters() -> None:
    x = torch.linspace(-2, 2, 11, dtype=torch.float64).unsqueeze(1)  # (11, 1)
    c = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)  # (3,)
    b = torch.tensor([0.3, 0.1, -0.2], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.7, -1.3, 2.1], dtype=torch.float64, requires_grad=True)
    assert hard_sigmoid(x, c=c, b=b, w=w).shape == (11, 3)
    # the grid avoids the two kinks z = 0 and z = 1, where finite differences are undefined
    assert torch.autograd.gradcheck(lambda c, b, w: hard_sigmoid(x, c=c, b=b, w=w), (c, b, w))
