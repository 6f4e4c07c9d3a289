"""Gradient descent on a quadratic in closed form, against gradient descent itself."""

import pytest
import torch

from mllab.analysis import elongated_bowl, gd_excess_loss, mse_hessian, updates_to_reach
from mllab.optim import GradientDescent
from mllab.train import DescentState, LoopConfig, descent_step, run_loop


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
    state = DescentState(theta=theta, optimizer=GradientDescent([theta], lr=eta))
    run = run_loop(descent_step(lambda p: (a @ p - y).square().mean()), state,
                   LoopConfig(steps=25))
    losses = [h["train_loss"] for h in run.history] + [(a @ theta - y).square().mean().item()]
    for t in (0, 1, 7, 25):  # the loss after t updates
        measured = losses[t] - loss_star
        assert gd_excess_loss(h, -theta_star, eta, t) == pytest.approx(measured, rel=1e-9)


def test_updates_to_reach_by_hand():
    assert updates_to_reach(lambda t: 0.5**t, 0.01) == 7  # 0.5^7 = 0.0078 <= 0.01 < 0.5^6
    assert updates_to_reach(lambda t: 0.5**t, 1.0) == 0
    assert updates_to_reach(lambda t: 10.0 / (t + 1), 1e-3) == 9999


def test_elongated_bowl_by_hand_and_its_hessian_by_autograd():
    theta = torch.tensor([[2.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert elongated_bowl(theta, lam=(1.0, 100.0)).tolist() == [52.0, 0.0]
    H = torch.autograd.functional.hessian(lambda t: elongated_bowl(t, lam=(3.0, 40.0)),
                                          torch.tensor([0.3, -2.0], dtype=torch.float64))
    torch.testing.assert_close(H, torch.diag(torch.tensor([3.0, 40.0], dtype=torch.float64)))
