"""Small float64 problems shared by the tests of mllab.analysis."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn


class QuadraticForm(nn.Module):
    r"""A "model" whose loss is a quadratic form of its parameters: :math:`\tfrac12 w^\top A w`.

    ``forward`` ignores its input and returns the scalar; use it with :func:`identity_loss`.
    Its gradient is :math:`Aw` and its Hessian is exactly :math:`A`.
    """

    def __init__(self, A: Tensor, w: Tensor) -> None:
        super().__init__()
        self.register_buffer("A", A)
        self.w = nn.Parameter(w.clone())

    def forward(self, x: Tensor) -> Tensor:
        return 0.5 * self.w @ self.A @ self.w


def identity_loss(prediction: Tensor, y: Tensor) -> Tensor:
    """The loss is the model's output itself."""
    return prediction


@pytest.fixture
def quadratic() -> Callable[..., tuple[nn.Module, Callable, Tensor, Tensor]]:
    """Factory: ``quadratic(diag, w)`` -> (model, loss_fn, x, y) for L = ½ wᵀ diag(diag) w."""

    def make(diag: list[float], w: list[float]) -> tuple[nn.Module, Callable, Tensor, Tensor]:
        A = torch.diag(torch.tensor(diag, dtype=torch.float64))
        model = QuadraticForm(A, torch.tensor(w, dtype=torch.float64))
        x = torch.zeros(1, dtype=torch.float64)
        return model, identity_loss, x, x

    return make


@pytest.fixture
def mlp_problem() -> Callable[..., tuple[nn.Module, Callable, Tensor, Tensor]]:
    """Factory: ``mlp_problem(hidden, n, seed)`` -> a 2→hidden→1 tanh MLP in float64 with MSE
    on n random points (P = 4·hidden + 1 parameters)."""

    def make(hidden: int = 3, n: int = 16, seed: int = 0
             ) -> tuple[nn.Module, Callable, Tensor, Tensor]:
        model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1)).double()
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
        x = torch.randn(n, 2, generator=g, dtype=torch.float64)
        y = torch.randn(n, 1, generator=g, dtype=torch.float64)
        return model, nn.functional.mse_loss, x, y

    return make
