"""Gradient descent by hand, with L2 weight decay."""

import torch

from mllab.optim import GradientDescent


def test_quadratic_by_hand_with_weight_decay():
    a, eta, lam = 2.0, 0.1, 0.5
    theta = torch.tensor([1.5, -3.0], dtype=torch.float64, requires_grad=True)
    opt = GradientDescent([theta], lr=eta, weight_decay=lam)
    th = torch.tensor([1.5, -3.0], dtype=torch.float64)
    for _ in range(5):
        opt.zero_grad()
        (0.5 * a * theta.square()).sum().backward()
        opt.step()
        g = a * th + lam * th  # g ← g + λθ
        th = th - eta * g  # θ ← θ − η g
    torch.testing.assert_close(theta.detach(), th, rtol=1e-14, atol=0)
    assert not opt.state
