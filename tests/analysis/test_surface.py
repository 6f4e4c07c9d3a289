"""Tests for mllab.analysis.surface: filter normalization, loss along a line and on a plane."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mllab.analysis import (
    filter_normalized_direction,
    flat_params,
    gradient_and_hessian,
    loss_along_line,
    loss_on_plane,
    set_flat_params,
)


def _conv_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 2 * 2, 3))


def _pieces(model: nn.Module, d: torch.Tensor) -> list[torch.Tensor]:
    sizes = [p.numel() for p in model.parameters()]
    return [piece.view_as(p) for piece, p in zip(d.split(sizes), model.parameters(), strict=True)]


def test_filter_normalized_rows_have_the_weight_rows_norms() -> None:
    torch.manual_seed(0)
    model = _conv_model().double()
    d = filter_normalized_direction(model, generator=torch.Generator().manual_seed(1))
    assert d.shape == flat_params(model).shape and d.dtype == torch.float64
    for piece, p in zip(_pieces(model, d), model.parameters(), strict=True):
        if p.ndim == 1:
            assert bool((piece == 0).all())  # biases: zero direction
            continue
        rows_d = piece.reshape(p.shape[0], -1).norm(dim=1)  # one norm per filter / neuron
        rows_w = p.detach().reshape(p.shape[0], -1).norm(dim=1)
        torch.testing.assert_close(rows_d, rows_w, rtol=1e-12, atol=0)
        assert not torch.allclose(piece, p.detach())  # a random direction, not the weights


def test_filter_normalization_follows_the_weight_scale() -> None:
    """Scaling a layer's weights by 10 scales its part of d by 10 (Li et al.'s invariance)."""
    torch.manual_seed(0)
    model = _conv_model().double()
    d = filter_normalized_direction(model, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        model[0].weight.mul_(10.0)
    d_scaled = filter_normalized_direction(model, generator=torch.Generator().manual_seed(1))
    conv = model[0].weight.numel()
    torch.testing.assert_close(d_scaled[:conv], 10 * d[:conv], rtol=1e-12, atol=0)
    torch.testing.assert_close(d_scaled[conv:], d[conv:], rtol=0, atol=0)
    d_other = filter_normalized_direction(model, generator=torch.Generator().manual_seed(2))
    assert not torch.allclose(d_other, d_scaled)


def test_loss_along_line_at_zero_is_the_loss_and_parameters_are_restored(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=4)
    theta = flat_params(model).clone()
    d = filter_normalized_direction(model, generator=torch.Generator().manual_seed(0))
    alphas = torch.linspace(-1, 1, 5, dtype=torch.float64)
    losses = loss_along_line(model, loss_fn, x, y, d, alphas)
    assert losses.shape == (5,)
    torch.testing.assert_close(losses[2], loss_fn(model(x), y).detach(), rtol=0, atol=0)
    torch.testing.assert_close(flat_params(model), theta, rtol=0, atol=0)

    set_flat_params(model, theta + 0.5 * d)  # reference: move the model, evaluate, move back
    torch.testing.assert_close(losses[3], loss_fn(model(x), y).detach(), rtol=0, atol=1e-15)


def test_loss_along_line_of_a_quadratic_is_its_taylor_series() -> None:
    """Linear model + MSE is quadratic in θ: L(θ + αd) = L + α gᵀd + ½ α² dᵀHd exactly."""
    gen = torch.Generator().manual_seed(4)
    X = torch.randn(30, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(30, 1, generator=gen, dtype=torch.float64)
    model = nn.Linear(3, 1).double()
    set_flat_params(model, torch.randn(4, generator=gen, dtype=torch.float64))
    loss_fn = nn.functional.mse_loss
    d = torch.randn(4, generator=gen, dtype=torch.float64)
    g, H = gradient_and_hessian(model, loss_fn, X, y)
    alphas = torch.linspace(-2, 3, 11, dtype=torch.float64)
    L0 = loss_fn(model(X), y).detach()
    expected = L0 + alphas * (g @ d) + 0.5 * alphas**2 * (d @ H @ d)
    torch.testing.assert_close(loss_along_line(model, loss_fn, X, y, d, alphas), expected,
                               rtol=0, atol=1e-12)


def test_loss_on_plane_axes_are_the_lines(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=4)
    theta = flat_params(model).clone()
    d1 = filter_normalized_direction(model, generator=torch.Generator().manual_seed(0))
    d2 = filter_normalized_direction(model, generator=torch.Generator().manual_seed(1))
    alphas = torch.tensor([-0.5, 0.0, 0.5, 1.0], dtype=torch.float64)
    betas = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    surface = loss_on_plane(model, loss_fn, x, y, d1, d2, alphas, betas)
    assert surface.shape == (4, 3)
    torch.testing.assert_close(surface[:, 1], loss_along_line(model, loss_fn, x, y, d1, alphas))
    torch.testing.assert_close(surface[1, :], loss_along_line(model, loss_fn, x, y, d2, betas))
    diagonal = loss_along_line(model, loss_fn, x, y, 0.5 * d1 + d2, torch.tensor([1.0]))
    torch.testing.assert_close(surface[2, 2], diagonal[0], rtol=0, atol=1e-14)
    torch.testing.assert_close(flat_params(model), theta, rtol=0, atol=0)


def test_wrong_direction_shape_is_rejected(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=3)
    with pytest.raises(ValueError, match="direction"):
        loss_along_line(model, loss_fn, x, y, torch.zeros(5), torch.zeros(1))
