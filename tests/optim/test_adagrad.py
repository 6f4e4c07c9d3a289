"""Adagrad: the course's formula with ηᵗ = η/√(t+1) and σ the root mean square, by hand; where
ε sits; state created lazily."""

import math

import pytest
import torch

from mllab.optim import Adagrad

A = torch.tensor([4.0, 0.25], dtype=torch.float64)  # L(θ) = ½ Σ aᵢ θᵢ²: steep and flat
THETA0 = [1.0, -2.0]


def _step(opt, theta):
    opt.zero_grad()
    (0.5 * A * theta.square()).sum().backward()
    opt.step()


def test_course_formula_by_hand_with_decaying_eta_and_root_mean_square():
    eta = 0.5
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = Adagrad([theta], lr=eta, eps=0.0)
    th, history = list(THETA0), [[], []]
    for t in range(8):
        _step(opt, theta)
        for i in range(2):
            g = A[i].item() * th[i]
            history[i].append(g)
            eta_t = eta / math.sqrt(t + 1)  # ηᵗ = η / √(t+1)
            sigma = math.sqrt(sum(gj**2 for gj in history[i]) / (t + 1))  # σᵢᵗ
            th[i] = th[i] - eta_t / sigma * g  # θᵢᵗ⁺¹ = θᵢᵗ − ηᵗ/σᵢᵗ gᵢᵗ
        torch.testing.assert_close(theta.detach(), torch.tensor(th, dtype=torch.float64),
                                   rtol=1e-12, atol=1e-14, msg=f"step {t + 1}")
    sums = torch.tensor([sum(g**2 for g in h) for h in history], dtype=torch.float64)
    torch.testing.assert_close(opt.state[theta]["sum_sq"], sums, rtol=1e-14, atol=0)


def test_first_step_moves_each_coordinate_by_eta_whatever_its_curvature():
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = Adagrad([theta], lr=0.5, eps=0.0)
    _step(opt, theta)
    torch.testing.assert_close(theta.detach(), torch.tensor([0.5, -1.5], dtype=torch.float64),
                               rtol=0, atol=1e-15)


def test_eps_is_added_to_the_root_of_the_sum_of_squares():
    """θ ← θ − η g / (√Σg² + ε), checked with an ε large enough to matter; ε inside the root,
    θ − η g / √(Σg² + ε), would be another point."""
    eta, eps = 0.5, 0.7
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = Adagrad([theta], lr=eta, eps=eps)
    outside, inside = (torch.tensor(THETA0, dtype=torch.float64) for _ in range(2))
    sum_out, sum_in = torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    for _ in range(3):
        _step(opt, theta)
        g_out, g_in = A * outside, A * inside
        sum_out, sum_in = sum_out + g_out**2, sum_in + g_in**2
        outside = outside - eta * g_out / (sum_out.sqrt() + eps)
        inside = inside - eta * g_in / (sum_in + eps).sqrt()
    torch.testing.assert_close(theta.detach(), outside, rtol=1e-13, atol=0)
    assert (theta.detach() - inside).abs().max() > 1e-2


def test_zero_gradient_leaves_a_parameter_unchanged_and_state_is_lazy():
    theta = torch.tensor([0.0, 3.0], dtype=torch.float64, requires_grad=True)
    opt = Adagrad([theta], lr=0.5)
    assert theta not in opt.state
    _step(opt, theta)
    assert theta[0].item() == 0.0  # g = 0: 0 / (0 + ε) = 0, no NaN
    assert set(opt.state[theta]) == {"sum_sq"}


def test_validation_names_the_argument():
    theta = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0, got -1.0"):
        Adagrad([theta], lr=0.1, eps=-1.0)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got nan"):
        Adagrad([theta], lr=float("nan"))
