"""RMSProp as the course writes it: σ⁰ = |g⁰|, by hand on L(θ) = ½ a θ², and unlike
torch.optim.RMSprop (which starts its mean square at zero) from the first step."""

import math

import pytest
import torch

from mllab.optim import RMSProp

A, THETA0, ETA, ALPHA, EPS = 3.0, 2.0, 0.1, 0.9, 1e-8


def _step(opt, theta):
    opt.zero_grad()
    (0.5 * A * theta.square()).sum().backward()
    opt.step()


def _by_hand(steps):
    """θ¹, θ², ... and the last σ, from the lecture's formulas in plain Python floats."""
    th, thetas = THETA0, []
    sigma = None
    for _ in range(steps):
        g = A * th
        if sigma is None:
            sigma = abs(g)  # σ⁰ = |g⁰|
        else:
            sigma = math.sqrt(ALPHA * sigma**2 + (1 - ALPHA) * g**2)  # σᵗ
        th = th - ETA * g / (sigma + EPS)  # θᵗ⁺¹ = θᵗ − η gᵗ / σᵗ
        thetas.append(th)
    return thetas, sigma


def test_quadratic_by_hand():
    theta = torch.tensor([THETA0], dtype=torch.float64, requires_grad=True)
    opt = RMSProp([theta], lr=ETA, alpha=ALPHA, eps=EPS)
    thetas, sigma = _by_hand(6)
    for t, expected in enumerate(thetas):
        _step(opt, theta)
        assert theta.item() == pytest.approx(expected, rel=1e-12), f"step {t + 1}"
    assert math.sqrt(opt.state[theta]["sigma_sq"].item()) == pytest.approx(sigma, rel=1e-12)


def test_first_step_is_eta_times_sign_and_torch_takes_a_larger_one():
    ours = torch.tensor([THETA0], dtype=torch.float64, requires_grad=True)
    ref = torch.tensor([THETA0], dtype=torch.float64, requires_grad=True)
    opt_ours = RMSProp([ours], lr=ETA, alpha=ALPHA, eps=EPS)
    opt_ref = torch.optim.RMSprop([ref], lr=ETA, alpha=ALPHA, eps=EPS)
    _step(opt_ours, ours)
    _step(opt_ref, ref)
    g0 = A * THETA0
    assert ours.item() == pytest.approx(THETA0 - ETA * g0 / (abs(g0) + EPS), rel=1e-14)  # ≈ 1.9
    # torch: (σ⁰)² = (1 − α)(g⁰)², a step of η/√(1 − α) ≈ 3.16 η
    torch_step = ETA * g0 / (math.sqrt(1 - ALPHA) * abs(g0) + EPS)
    assert ref.item() == pytest.approx(THETA0 - torch_step, rel=1e-14)
    assert THETA0 - ref.item() > 3 * (THETA0 - ours.item())


def test_sigma_tracks_the_running_root_mean_square_per_coordinate():
    """Two coordinates with curvatures 100× apart take steps of the same size: σ adapts."""
    theta = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    a = torch.tensor([100.0, 1.0], dtype=torch.float64)
    opt = RMSProp([theta], lr=0.01, alpha=ALPHA)
    opt.zero_grad()
    (0.5 * a * theta.square()).sum().backward()
    g0 = theta.grad.clone()
    opt.step()
    torch.testing.assert_close(opt.state[theta]["sigma_sq"], g0.square(), rtol=1e-15, atol=0)
    expected = torch.tensor([0.99, 0.99], dtype=torch.float64)  # θ − η sign(g) for both
    torch.testing.assert_close(theta.detach(), expected, rtol=0, atol=1e-9)


def test_validation_names_the_argument():
    theta = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\), got 1"):
        RMSProp([theta], lr=0.1, alpha=1)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        RMSProp([theta], lr=0.1, eps=-1e-8)


def test_weight_decay_adds_lambda_theta_to_the_gradient_exactly():
    # Two steps by hand with g ← g + λθ, σ⁰ = |g⁰|, σ¹ = √(α σ⁰² + (1 − α) g¹²), eps = 0.
    theta = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    optimizer = RMSProp([theta], lr=0.1, alpha=0.9, eps=0.0, weight_decay=0.3)
    x, sq = theta.detach().clone(), None
    for _ in range(2):
        optimizer.zero_grad()
        (theta.square().sum() * 0.5).backward()  # ∇ = θ
        optimizer.step()
        g = x + 0.3 * x  # the loss's gradient plus λθ
        sq = g * g if sq is None else 0.9 * sq + 0.1 * g * g
        x = x - 0.1 * g / sq.sqrt()
        torch.testing.assert_close(theta.detach(), x, rtol=0, atol=1e-15)
