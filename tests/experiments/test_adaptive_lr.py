"""Pure helpers of the adaptive-lr, feature-scaling and momentum experiments, checked against
closed forms, hand-computed values and independent references."""

import math

import pytest
import torch

from mllab.data import load_dataset
from mllab.experiments.adaptive_lr import (
    ConstantRateAdagrad,
    axis_report,
    elongated_bowl,
    first_at_most,
    gd_excess_loss,
    mse_hessian,
    raw_diabetes,
    sign_changes,
    updates_to_reach,
)
from mllab.experiments.batch_momentum import (
    CurvePoint,
    bowl_with_bump,
    critical_points,
    curve_value,
    descend,
)
from mllab.losses import mse
from mllab.optim import Adagrad, GradientDescent, InverseSqrtDecay, Momentum


def _steps(optimizer, theta, loss_fn, n, scheduler=None):
    path = [theta.detach().clone()]
    for _ in range(n):
        optimizer.zero_grad()
        loss_fn(theta).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        path.append(theta.detach().clone())
    return torch.stack(path)


def _bowl(theta):
    return elongated_bowl(theta, lam=(1.0, 50.0))


def test_constant_rate_adagrad_is_the_lectures_formula():
    theta = torch.tensor([-3.0, 0.7], dtype=torch.float64, requires_grad=True)
    path = _steps(ConstantRateAdagrad([theta], lr=0.3, eps=0.0), theta, _bowl, 12)
    # By hand: θ ← θ − η g / σ, σ = √(mean of the past g², this one included).
    lam = torch.tensor([1.0, 50.0], dtype=torch.float64)
    x, squares = torch.tensor([-3.0, 0.7], dtype=torch.float64), []
    for t in range(12):
        g = lam * x
        squares.append(g * g)
        sigma = torch.stack(squares).mean(0).sqrt()
        x = x - 0.3 * g / sigma
        torch.testing.assert_close(path[t + 1], x, rtol=1e-12, atol=1e-14)


def test_constant_rate_adagrad_with_inverse_sqrt_decay_is_mllab_adagrad():
    a = torch.tensor([-3.0, 0.7], dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    constant = ConstantRateAdagrad([a], lr=0.4)
    path_a = _steps(constant, a, _bowl, 30, InverseSqrtDecay(constant))
    path_b = _steps(Adagrad([b], lr=0.4), b, _bowl, 30)
    torch.testing.assert_close(path_a, path_b, rtol=1e-13, atol=1e-15)


def test_constant_rate_adagrad_state_counts_updates():
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = ConstantRateAdagrad([theta], lr=0.1)
    _steps(optimizer, theta, lambda p: (p - 1).square().sum(), 5)
    state = optimizer.state[theta]
    assert state["t"] == 5 and state["sum_sq"].shape == (2,)


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


def test_gd_excess_loss_matches_gradient_descent_iterations():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 3, generator=gen, dtype=torch.float64) * torch.tensor(
        [1.0, 5.0, 0.2], dtype=torch.float64)
    y = torch.randn(40, generator=gen, dtype=torch.float64)
    h = mse_hessian(x)
    a = torch.cat([x, torch.ones(40, 1, dtype=torch.float64)], dim=1)
    theta_star = torch.linalg.lstsq(a, y[:, None]).solution[:, 0]
    loss_star = (a @ theta_star - y).square().mean().item()
    eta = 1 / torch.linalg.eigvalsh(h).max().item()
    theta = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    path = _steps(GradientDescent([theta], lr=eta), theta,
                  lambda p: (a @ p - y).square().mean(), 25)
    for t in (0, 1, 7, 25):
        measured = (a @ path[t] - y).square().mean().item() - loss_star
        assert gd_excess_loss(h, -theta_star, eta, t) == pytest.approx(measured, rel=1e-9)


def test_mse_hessian_matches_autograd():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(15, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(15, generator=gen, dtype=torch.float64)

    def loss(theta):
        return mse(x @ theta[:2] + theta[2], y)

    reference = torch.autograd.functional.hessian(loss, torch.zeros(3, dtype=torch.float64))
    torch.testing.assert_close(mse_hessian(x), reference)


def test_updates_to_reach_by_hand():
    assert updates_to_reach(lambda t: 0.5**t, 0.01) == 7  # 0.5^7 = 0.0078 <= 0.01 < 0.5^6
    assert updates_to_reach(lambda t: 0.5**t, 1.0) == 0
    assert updates_to_reach(lambda t: 10.0 / (t + 1), 1e-3) == 9999


def test_raw_diabetes_has_raw_scales_and_the_usual_split():
    x, y, names = raw_diabetes(seed=0)
    split = load_dataset("diabetes", seed=0, standardize=False)
    assert x.shape == split.x_train.shape and names[0] == "age" and names[2] == "bmi"
    assert 18 <= x[:, 0].min() and x[:, 0].max() <= 80  # age in years
    assert set(x[:, 1].unique().tolist()) == {1.0, 2.0}  # sex coded 1/2
    torch.testing.assert_close(y.float(), split.y_train)  # same rows, same order


# ------------------------------------------------------------------ momentum's helpers
def test_bowl_with_bump_closed_form():
    theta = torch.tensor([0.0, 1.5], dtype=torch.float64)
    value = bowl_with_bump(theta, a=1.0, c=1.5, h=1.0, b=0.0, w=0.25)
    expected = [0.5 * 1.5**2 + 1.0, math.exp(-1.5**2 / (2 * 0.0625))]
    torch.testing.assert_close(value, torch.tensor(expected, dtype=torch.float64))


def test_critical_points_of_a_double_well():
    points = critical_points(lambda t: (t.square() - 1).square(), -2.0, 2.0, n=401)
    assert [p["kind"] for p in points] == ["minimum", "maximum", "minimum"]
    assert [p["theta"] for p in points] == pytest.approx([-1.0, 0.0, 1.0], abs=1e-12)
    assert [p["loss"] for p in points] == pytest.approx([0.0, 1.0, 0.0], abs=1e-12)


def test_descend_and_curve_point_follow_the_update_rules():
    # L = θ²/2: gradient descent multiplies θ by (1 − η) each update.
    assert descend(lambda t: t.square() / 2, 2.0, lambda p: GradientDescent(p, lr=0.1),
                   5) == pytest.approx(2.0 * 0.9**5)
    # Momentum by hand: m ← λm − ηθ, θ ← θ + m.
    theta, m = 2.0, 0.0
    for _ in range(5):
        m = 0.9 * m - 0.1 * theta
        theta += m
    assert descend(lambda t: t.square() / 2, 2.0, lambda p: Momentum(p, lr=0.1, momentum=0.9),
                   5) == pytest.approx(theta)
    point = CurvePoint((1.0, 2.0), lambda t: t.square().sum())
    out = point(torch.zeros(3, 1))
    assert out.shape == (3,) and curve_value(out, torch.zeros(3)).item() == 5.0
