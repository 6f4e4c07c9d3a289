"""Tests for mllab.analysis.sharpness: top Hessian eigenvalue and Keskar's ε-sharpness."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from mllab.analysis import (
    epsilon_sharpness,
    flat_params,
    gradient_and_hessian,
    top_hessian_eigenvalue,
)


def test_top_eigenvalue_equals_the_exact_largest(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=4)
    _, H = gradient_and_hessian(model, loss_fn, x, y)
    top = top_hessian_eigenvalue(model, loss_fn, x, y, generator=torch.Generator().manual_seed(0))
    assert top == pytest.approx(float(torch.linalg.eigvalsh(H)[-1]), abs=1e-8)


def test_top_eigenvalue_is_the_largest_not_the_largest_magnitude(quadratic) -> None:
    """H = diag(1, -3): power iteration would return -3; the sharpness is 1."""
    model, loss_fn, x, y = quadratic([1.0, -3.0], [0.3, 0.2])
    top = top_hessian_eigenvalue(model, loss_fn, x, y, generator=torch.Generator().manual_seed(0))
    assert top == pytest.approx(1.0, abs=1e-12)


def test_epsilon_sharpness_of_a_quadratic_is_the_box_corner(quadratic) -> None:
    """L = ½ Σ a_i w_i² at w = 0: the box is |δ_i| <= ε, the maximum ½ Σ a_i ε² is at a corner,
    L = 0, so φ = 100 · ½ Σ a_i ε²."""
    a, eps = [1.0, 4.0, 0.5], 1e-2
    model, loss_fn, x, y = quadratic(a, [0.0, 0.0, 0.0])
    phi = epsilon_sharpness(model, loss_fn, x, y, eps=eps, steps=10,
                            generator=torch.Generator().manual_seed(0))
    assert phi == pytest.approx(100 * 0.5 * sum(a) * eps**2, rel=1e-12)


def _scaled(loss_fn, c: float):
    def scaled(prediction: Tensor, y: Tensor) -> Tensor:
        return c * loss_fn(prediction, y)

    return scaled


def test_epsilon_sharpness_nonnegative_larger_when_sharper_and_restores(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=4)
    theta = flat_params(model).clone()
    phis = [epsilon_sharpness(model, _scaled(loss_fn, c), x, y, eps=1e-3, steps=10,
                              generator=torch.Generator().manual_seed(0)) for c in (1.0, 10.0)]
    assert phis[0] >= 0
    assert phis[1] > phis[0]  # 10·L is sharper
    torch.testing.assert_close(flat_params(model), theta, rtol=0, atol=0)
    assert all(p.requires_grad and p.grad is None for p in model.parameters())


def test_epsilon_sharpness_is_zero_on_a_flat_loss_and_grows_with_eps(quadratic) -> None:
    flat = quadratic([0.0, 0.0], [1.0, -1.0])
    assert epsilon_sharpness(*flat, generator=torch.Generator().manual_seed(0)) == 0.0
    bowl = quadratic([2.0, 2.0], [0.0, 0.0])
    small, large = (epsilon_sharpness(*bowl, eps=eps, generator=torch.Generator().manual_seed(0))
                    for eps in (1e-3, 1e-2))
    assert 0 < small < large


def test_epsilon_sharpness_validates(quadratic) -> None:
    with pytest.raises(ValueError, match="eps"):
        epsilon_sharpness(*quadratic([1.0], [0.0]), eps=0.0, generator=torch.Generator())
