"""The 2021 lecture's constant-rate Adagrad: its formula by hand, its relation to mllab's
Adagrad and to ``torch.optim.Adagrad``, and its state."""

import math

import torch

from mllab.analysis import elongated_bowl
from mllab.optim import Adagrad, ConstantRateAdagrad, InverseSqrtDecay


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


def test_constant_rate_adagrad_is_torch_adagrad_with_the_rate_grown_by_sqrt_t():
    """η/σ^t = η√(t+1)/√Σg²: torch's Adagrad (η/√Σg²) with its rate multiplied by √(t+1)."""
    a = torch.tensor([-3.0, 0.7], dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    path_a = _steps(ConstantRateAdagrad([a], lr=0.2), a, _bowl, 40)
    torch_adagrad = torch.optim.Adagrad([b], lr=0.2, eps=1e-10)
    grow = torch.optim.lr_scheduler.LambdaLR(torch_adagrad, lambda t: math.sqrt(t + 1))
    path_b = _steps(torch_adagrad, b, _bowl, 40, grow)
    torch.testing.assert_close(path_a, path_b, rtol=1e-10, atol=1e-12)
