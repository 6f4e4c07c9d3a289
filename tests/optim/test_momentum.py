"""Momentum in the course's form: by hand on a 1-D quadratic, equal to torch's SGD(momentum)
while η is constant, different from it by λ(η₂ − η₁)v after a change of η."""

import math

import pytest
import torch

from mllab.nn import MLP, MLPConfig
from mllab.optim import Momentum

A = 2.0  # L(θ) = ½ a θ², g = a θ


def _quadratic_step(opt, theta):
    opt.zero_grad()
    (0.5 * A * theta.square()).sum().backward()
    opt.step()


def test_quadratic_by_hand_with_a_change_of_learning_rate():
    lam, etas = 0.9, [0.1, 0.1, 0.1, 0.02, 0.02, 0.3, 0.3]
    theta = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    opt = Momentum([theta], lr=etas[0], momentum=lam)
    th, m = 1.5, 0.0  # m⁰ = 0
    for t, eta in enumerate(etas):
        opt.param_groups[0]["lr"] = eta
        _quadratic_step(opt, theta)
        m = lam * m - eta * A * th  # mᵗ⁺¹ = λ mᵗ − η gᵗ
        th = th + m  # θᵗ⁺¹ = θᵗ + mᵗ⁺¹
        assert theta.item() == pytest.approx(th, rel=1e-13, abs=1e-15), f"step {t + 1}"
        assert opt.movement(theta).item() == pytest.approx(m, rel=1e-13, abs=1e-15)
    assert th < 0  # momentum carried θ past the minimum at 0


def test_first_step_is_plain_gradient_descent_and_movement_starts_at_zero():
    theta = torch.tensor([1.5, -0.5], dtype=torch.float64, requires_grad=True)
    opt = Momentum([theta], lr=0.1, momentum=0.9)
    assert torch.equal(opt.movement(theta), torch.zeros(2, dtype=torch.float64))
    assert not opt.state  # state is created at the first step
    _quadratic_step(opt, theta)
    torch.testing.assert_close(theta.detach(), torch.tensor([1.5, -0.5]).double() * (1 - 0.1 * A),
                               rtol=0, atol=1e-15)


def test_zero_learning_rate_keeps_parameters_still():
    theta = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    opt = Momentum([theta], lr=0.0, momentum=0.9)
    for _ in range(3):
        _quadratic_step(opt, theta)
    assert theta.item() == 1.5
    assert math.isfinite(opt.state[theta]["s"])


def _twins():
    torch.manual_seed(0)
    a = MLP(MLPConfig(in_features=5, depth=2, width=16)).double()
    b = MLP(MLPConfig(in_features=5, depth=2, width=16)).double()
    b.load_state_dict(a.state_dict())
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, 5, generator=g, dtype=torch.float64)
    y = torch.cos(x[:, 0]) + x[:, 1]
    return a, b, x, y


def _step(model, opt, x, y):
    opt.zero_grad()
    (model(x) - y).square().mean().backward()
    opt.step()


def test_equal_to_torch_sgd_momentum_under_a_constant_rate():
    ours, ref, x, y = _twins()
    opt_ours = Momentum(ours.parameters(), lr=0.05, momentum=0.9)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
    for k in range(60):
        _step(ours, opt_ours, x[k % 4::4], y[k % 4::4])
        _step(ref, opt_ref, x[k % 4::4], y[k % 4::4])
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-6)


def test_differs_from_torch_after_a_change_of_rate_by_the_hand_computed_amount():
    """At the step where η goes from η₁ to η₂: ours − torch = λ (η₂ − η₁) v, v being torch's
    momentum buffer before the step (the course's m = −η₁ v keeps the old rate)."""
    lam, eta1, eta2 = 0.9, 0.05, 0.01
    ours, ref, x, y = _twins()
    opt_ours = Momentum(ours.parameters(), lr=eta1, momentum=lam)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=eta1, momentum=lam)
    for _ in range(20):
        _step(ours, opt_ours, x, y)
        _step(ref, opt_ref, x, y)
    before = [p.detach() - q.detach() for p, q in zip(ours.parameters(), ref.parameters(),
                                                      strict=True)]
    v = [opt_ref.state[q]["momentum_buffer"].clone() for q in ref.parameters()]
    for opt in (opt_ours, opt_ref):
        opt.param_groups[0]["lr"] = eta2
    _step(ours, opt_ours, x, y)
    _step(ref, opt_ref, x, y)
    largest = 0.0
    for p, q, d0, vi in zip(ours.parameters(), ref.parameters(), before, v, strict=True):
        expected = d0 + lam * (eta2 - eta1) * vi
        torch.testing.assert_close(p.detach() - q.detach(), expected, rtol=1e-6, atol=1e-12)
        largest = max(largest, (p - q).abs().max().item())
    assert largest > 1e-3  # a real difference, not rounding
    assert max(d.abs().max().item() for d in before) < 1e-12  # equal until the change


def test_validation_names_the_argument():
    theta = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.0"):
        Momentum([theta], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -0.1"):
        Momentum([theta], lr=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        Momentum([theta], lr=0.1, weight_decay=-1)
