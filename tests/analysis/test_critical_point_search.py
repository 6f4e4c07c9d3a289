"""The search for critical points (minimizing the gradient norm), against closed forms."""

import pytest
import torch

from mllab.analysis import (
    KINDS,
    classify_critical_point,
    flat_params,
    gradient_and_hessian,
    minimize_gradient_norm,
    model_loss_fn,
    set_flat_params,
)


def test_gradient_norm_search_reaches_the_least_squares_solution():
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(30, 4, generator=gen, dtype=torch.float64)
    b = torch.randn(30, generator=gen, dtype=torch.float64)

    def f(theta):
        return (A @ theta - b).square().mean()

    starts = 3 * torch.randn(5, 4, generator=gen, dtype=torch.float64)
    copy = starts.clone()
    ends, used = minimize_gradient_norm(f, starts, steps=50)
    exact = torch.linalg.lstsq(A, b[:, None]).solution[:, 0]
    torch.testing.assert_close(ends, exact.expand(5, 4), rtol=1e-9, atol=1e-9)
    assert all(1 <= u < 50 for u in used)  # stopped on a tiny gradient, not on the budget
    assert torch.equal(starts, copy)  # the starts are not modified in place


def test_gradient_norm_search_stops_at_saddle_points_too():
    # f = θ0² − θ1² + θ0 θ1 has one critical point, a saddle, at 0: gradient descent leaves
    # it, the search on ||g||² goes there
    def f(theta):
        return theta[0] ** 2 - theta[1] ** 2 + theta[0] * theta[1]

    starts = torch.tensor([[1.0, -2.0], [0.3, 0.7], [-5.0, 4.0]], dtype=torch.float64)
    ends, _ = minimize_gradient_norm(f, starts, steps=100)
    torch.testing.assert_close(ends, torch.zeros(3, 2, dtype=torch.float64), rtol=0,
                               atol=1e-10)


def test_gradient_norm_search_on_the_chain_network_ends_critical():
    def f(theta):
        return (1 - theta[0] * theta[1]) ** 2

    starts = torch.tensor([[0.05, -0.02], [1.5, 0.2], [-0.4, -0.9]], dtype=torch.float64)
    ends, _ = minimize_gradient_norm(f, starts, steps=200)
    for theta in ends:
        w1, w2 = theta.tolist()
        g = -2 * (1 - w1 * w2) * torch.tensor([w2, w1])
        assert g.norm() < 1e-9
        assert abs(w1 * w2 - 1) < 1e-9 or max(abs(w1), abs(w2)) < 1e-9  # valley or saddle


def test_the_recipe_for_a_model_ends_at_a_critical_point_of_its_loss(mlp_problem):
    model, loss_fn, x, y = mlp_problem()  # F.mse_loss, which jacfwd over grad cannot take
    theta0 = flat_params(model)
    g0, _ = gradient_and_hessian(model, loss_fn, x, y)
    end, used = minimize_gradient_norm(model_loss_fn(model, loss_fn, x, y), theta0, steps=200)
    assert end.shape == theta0.shape and len(used) == 1 and used[0] < 200  # converged
    assert torch.equal(flat_params(model), theta0)  # the model is left alone
    set_flat_params(model, end)
    g, H = gradient_and_hessian(model, loss_fn, x, y)
    assert g.norm() < 1e-10 and g0.norm() > 1
    assert classify_critical_point(g, H).kind in KINDS


def test_arguments_are_checked():
    def f(theta):
        return theta.square().sum()

    with pytest.raises(ValueError, match="steps must be an integer >= 1, got 0"):
        minimize_gradient_norm(f, torch.zeros(2), steps=0)
    with pytest.raises(ValueError, match=r"theta must have shape \(M, P\) or \(P,\), got "
                                         r"\(1, 1, 2\)"):
        minimize_gradient_norm(f, torch.zeros(1, 1, 2), steps=1)
