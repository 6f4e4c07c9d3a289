"""Tests for mllab.nn.SigmoidNetwork: y = b + cᵀσ(b' + Wx)."""

from __future__ import annotations

import math

import pytest
import torch
from torch.func import functional_call

from mllab.nn import SigmoidNetwork


@pytest.mark.parametrize(("B", "C", "n"), [(1, 1, 1), (4, 3, 5), (16, 8, 32)])
def test_shape(B: int, C: int, n: int) -> None:
    torch.manual_seed(0)
    model = SigmoidNetwork(C, n)
    assert model(torch.randn(B, C)).shape == (B,)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {
        "hidden.weight": (n, C),
        "hidden.bias": (n,),
        "output.weight": (1, n),
        "output.bias": (1,),
    }


def test_equals_hand_computation_float64() -> None:
    torch.manual_seed(0)
    B, C, n = 5, 3, 4
    model = SigmoidNetwork(C, n).double()
    x = torch.randn(B, C, dtype=torch.float64)
    W = model.hidden.weight.tolist()
    b_prime = model.hidden.bias.tolist()
    c = model.output.weight[0].tolist()
    b = model.output.bias.item()
    y_hand = []
    for x_n in x.tolist():  # y = b + Σ_i c_i σ(b_i + Σ_j w_ij x_j)
        r = [b_prime[i] + sum(W[i][j] * x_n[j] for j in range(C)) for i in range(n)]
        y_hand.append(b + sum(c[i] / (1 + math.exp(-r[i])) for i in range(n)))
    y_hand_t = torch.tensor(y_hand, dtype=torch.float64)
    torch.testing.assert_close(model(x), y_hand_t, rtol=0, atol=1e-13)


def test_gradcheck_float64() -> None:
    """Autograd gradients w.r.t. the input and every parameter match finite differences."""
    torch.manual_seed(0)
    model = SigmoidNetwork(3, 4).double()
    names = [name for name, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in model.parameters())
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)

    def f(x: torch.Tensor, *theta: torch.Tensor) -> torch.Tensor:
        return functional_call(model, dict(zip(names, theta, strict=True)), (x,))

    assert torch.autograd.gradcheck(f, (x, *params))
    assert torch.autograd.gradgradcheck(f, (x, *params))
