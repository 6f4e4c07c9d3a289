"""Tests for mllab.nn.LinearModel: shapes, closed form, parameter layout."""

from __future__ import annotations

import pytest
import torch

from mllab.nn import LinearModel


@pytest.mark.parametrize(("B", "C"), [(1, 1), (5, 3), (8, 10)])
def test_shape(B: int, C: int) -> None:
    torch.manual_seed(0)
    model = LinearModel(C)
    assert model(torch.randn(B, C)).shape == (B,)


def test_parameters_are_a_2d_weight_and_a_1d_bias() -> None:
    model = LinearModel(4)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {"linear.weight": (1, 4), "linear.bias": (1,)}


def test_equals_closed_form_float64() -> None:
    torch.manual_seed(0)
    C = 6
    model = LinearModel(C).double()
    x = torch.randn(9, C, dtype=torch.float64)
    w = model.linear.weight.detach()[0]  # (C,)
    b = model.linear.bias.detach()[0]  # ()
    y_hand = torch.stack([b + sum(w[j] * x_n[j] for j in range(C)) for x_n in x])  # b + Σ w_j x_j
    torch.testing.assert_close(model(x), b + x @ w, rtol=0, atol=1e-14)
    torch.testing.assert_close(model(x), y_hand, rtol=0, atol=1e-14)


def test_least_squares_weights_reach_the_minimum_mse() -> None:
    """With the least-squares solution loaded, the model's MSE is the least-squares residual."""
    g = torch.Generator().manual_seed(1)
    B, C = 40, 3
    x = torch.randn(B, C, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.3
    y = y + 0.1 * torch.randn(B, generator=g, dtype=torch.float64)
    X1 = torch.cat([torch.ones(B, 1, dtype=torch.float64), x], dim=1)  # (B, 1 + C)
    theta = torch.linalg.lstsq(X1, y.unsqueeze(1)).solution[:, 0]  # (1 + C,)  [b, w]
    model = LinearModel(C).double()
    with torch.no_grad():
        model.linear.bias.copy_(theta[:1])
        model.linear.weight.copy_(theta[1:].unsqueeze(0))
    residual = y - X1 @ theta
    torch.testing.assert_close(model(x), X1 @ theta)
    mse_model = ((model(x) - y) ** 2).mean()
    assert mse_model.item() == pytest.approx((residual**2).mean().item(), rel=1e-10)
    assert mse_model.item() < 0.02  # noise variance 0.01
