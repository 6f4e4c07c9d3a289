"""MAS: the importance by hand on y = w x, against per-example backward passes, and the
penalty lambda sum Omega (theta - theta*)^2."""

import torch
from torch import nn

from mllab.lifelong.mas import mas, mas_importance


def test_importance_by_hand():
    # ||w x||^2 = w^2 x^2, d/dw = 2 w x^2; |.| averaged: 2 |w| mean(x^2)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(-0.5)
    x = torch.tensor([[1.0], [-2.0], [3.0]])
    assert torch.allclose(mas_importance(model, x)["weight"], torch.tensor([[14 / 3]]))


def test_importance_against_per_example_backward():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    x = torch.randn(6, 3, dtype=torch.float64)
    omega = mas_importance(model, x)
    ref = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    for xn in x:
        model.zero_grad()
        (model(xn[None]) ** 2).sum().backward()
        for n, p in model.named_parameters():
            ref[n] += p.grad.abs() / len(x)
    assert all(torch.allclose(omega[n], ref[n], atol=1e-12) for n in ref)


def test_the_penalty_has_factor_lambda():
    model = nn.Linear(1, 1, bias=False)
    penalty = mas(model, {"weight": torch.tensor([[2.0]])}, lam=3.0)
    with torch.no_grad():
        model.weight.add_(1.0)
    assert torch.isclose(penalty(model), torch.tensor(6.0))
