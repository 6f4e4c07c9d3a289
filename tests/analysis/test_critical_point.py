"""Tests for mllab.analysis.critical_point: the lecture's classification and saddle escape."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mllab.analysis import (
    KINDS,
    classify_critical_point,
    escape_direction,
    escape_step,
    flat_params,
    gradient_and_hessian,
)


def _classify(problem, **kwargs):
    g, H = gradient_and_hessian(*problem)
    return classify_critical_point(g, H, **kwargs)


def test_saddle_w1_squared_minus_w2_squared(quadratic) -> None:
    """f = w1² - w2² at 0: g = 0, H = diag(2, -2): a saddle point with minimum ratio 1/2."""
    point = _classify(quadratic([2.0, -2.0], [0.0, 0.0]))
    assert point.kind == "saddle point"
    assert point.grad_norm == 0.0
    torch.testing.assert_close(point.eigenvalues, torch.tensor([-2.0, 2.0], dtype=torch.float64))
    assert point.minimum_ratio == 0.5
    assert point.minimum_like is False  # the homework needs a ratio > 0.5


def test_local_minimum_and_maximum(quadratic) -> None:
    minimum = _classify(quadratic([2.0, 2.0], [0.0, 0.0]))  # w1² + w2²
    assert (minimum.kind, minimum.minimum_ratio, minimum.minimum_like) == ("local minimum", 1.0,
                                                                           True)
    maximum = _classify(quadratic([-2.0, -2.0], [0.0, 0.0]))  # -(w1² + w2²)
    assert (maximum.kind, maximum.minimum_ratio, maximum.minimum_like) == ("local maximum", 0.0,
                                                                           False)


def test_non_critical_point(quadratic) -> None:
    """w1² + w2² at (1, 0): g = (2, 0), so not critical even though H is positive definite."""
    point = _classify(quadratic([2.0, 2.0], [1.0, 0.0]))
    assert point.kind == "not critical"
    assert point.grad_norm == pytest.approx(2.0, abs=1e-15)
    assert point.minimum_ratio == 1.0 and point.minimum_like is False
    assert point.kind in KINDS


def test_grad_tol_decides_critical(quadratic) -> None:
    problem = quadratic([2.0, 2.0], [1e-4, 0.0])  # ||g|| = 2e-4
    assert _classify(problem).kind == "local minimum"  # default grad_tol 1e-3
    assert _classify(problem, grad_tol=1e-4).kind == "not critical"


def test_zero_and_tiny_eigenvalues_are_not_certified(quadratic) -> None:
    """H = diag(2, 0): the second-order test cannot decide, reported as a saddle point."""
    flat = _classify(quadratic([2.0, 0.0], [0.0, 0.0]))
    assert flat.kind == "saddle point" and flat.minimum_ratio == 0.5
    tiny = quadratic([2.0, 1e-6], [0.0, 0.0])
    assert _classify(tiny).kind == "local minimum"
    assert _classify(tiny, eig_tol=1e-3).kind == "saddle point"


def test_eigenvalues_ascending_and_ratio_counts_positive() -> None:
    g = torch.zeros(5, dtype=torch.float64)
    H = torch.diag(torch.tensor([3.0, -1.0, 2.0, 5.0, -4.0], dtype=torch.float64))
    point = classify_critical_point(g, H)
    torch.testing.assert_close(point.eigenvalues,
                               torch.tensor([-4.0, -1.0, 2.0, 3.0, 5.0], dtype=torch.float64))
    assert point.minimum_ratio == pytest.approx(3 / 5)
    assert point.minimum_like is True  # the homework's rule: ratio 0.6 > 0.5
    assert point.kind == "saddle point"


def test_classify_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="shape"):
        classify_critical_point(torch.zeros(3), torch.zeros(2, 2))


def test_escape_direction_is_the_most_negative_eigenpair() -> None:
    gen = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(4, 4, generator=gen, dtype=torch.float64))
    H = Q @ torch.diag(torch.tensor([3.0, -1.0, -2.0, 0.5], dtype=torch.float64)) @ Q.T
    lam, u = escape_direction(H)
    assert lam == pytest.approx(-2.0, abs=1e-12)
    assert float(u.norm()) == pytest.approx(1.0, abs=1e-12)
    torch.testing.assert_close(H @ u, lam * u, rtol=0, atol=1e-12)
    assert float(u @ H @ u) == pytest.approx(-2.0, abs=1e-12)  # ½ uᵀHu = ½ λ||u||² < 0


def test_escape_direction_refuses_a_minimum() -> None:
    with pytest.raises(ValueError, match="no negative eigenvalue"):
        escape_direction(torch.eye(3, dtype=torch.float64))


def _tiny_linear_network() -> tuple[nn.Module, object, torch.Tensor, torch.Tensor]:
    """The lecture's network ŷ = w2·w1·x with x = 1, y = 1: L = (1 - w1 w2)², at w1 = w2 = 0."""
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    x = torch.ones(1, 1, dtype=torch.float64)
    return model, nn.functional.mse_loss, x, x.clone()


def test_lectures_tiny_network_origin_is_a_saddle() -> None:
    """At 0: g = 0 and H = [[0, -2], [-2, 0]], eigenvalues ±2, escape along (1, 1)/√2."""
    problem = _tiny_linear_network()
    g, H = gradient_and_hessian(*problem)
    torch.testing.assert_close(H, torch.tensor([[0.0, -2.0], [-2.0, 0.0]], dtype=torch.float64))
    assert classify_critical_point(g, H).kind == "saddle point"
    lam, u = escape_direction(H)
    assert lam == pytest.approx(-2.0)
    assert abs(float(u[0] * u[1])) == pytest.approx(0.5)  # u = ±(1, 1)/√2
    assert float(u[0] * u[1]) > 0


def test_escape_step_lowers_the_loss_and_then_gradient_descent_works() -> None:
    model, loss_fn, x, y = _tiny_linear_network()
    step = 0.5
    before, after = escape_step(model, loss_fn, x, y, step)
    assert before == 1.0
    assert after == pytest.approx((1 - step**2 / 2) ** 2, abs=1e-14)  # w1 = w2 = ±step/√2
    assert float(loss_fn(model(x), y).detach()) == pytest.approx(after, abs=1e-15)  # model updated
    w = flat_params(model)
    assert float(w.norm()) == pytest.approx(step) and float(w[0] * w[1]) > 0

    def descend(net: nn.Module) -> float:
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(100):
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
        return float(loss_fn(net(x), y).detach())

    assert descend(_tiny_linear_network()[0]) == 1.0  # stuck at the saddle: g = 0
    assert descend(model) < 1e-6  # escaped


def test_escape_step_validates() -> None:
    model, loss_fn, x, y = _tiny_linear_network()
    with pytest.raises(ValueError, match="step"):
        escape_step(model, loss_fn, x, y, 0.0)
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[1].weight.fill_(1.0)  # the global minimum w1 w2 = 1: H has eigenvalues 0 and 4
    with pytest.raises(ValueError, match="no negative eigenvalue"):
        escape_step(model, loss_fn, x, y, 0.1)
    torch.testing.assert_close(flat_params(model), torch.ones(2, dtype=torch.float64))  # kept
