"""Tests for mllab.nn.ReLUNetwork: y = b + Σ cᵢ max(0, bᵢ + Σ wᵢⱼxⱼ)."""

from __future__ import annotations

import pytest
import torch

from mllab.losses import mse
from mllab.nn import ReLUNetwork, hard_sigmoid


@pytest.mark.parametrize(("B", "C", "n"), [(1, 1, 1), (4, 3, 5), (16, 8, 32)])
def test_shape(B: int, C: int, n: int) -> None:
    torch.manual_seed(0)
    assert ReLUNetwork(C, n)(torch.randn(B, C)).shape == (B,)


def test_equals_hand_computation_float64() -> None:
    torch.manual_seed(0)
    B, C, n = 5, 3, 6
    model = ReLUNetwork(C, n).double()
    x = torch.randn(B, C, dtype=torch.float64)
    W = model.hidden.weight.tolist()
    b_prime = model.hidden.bias.tolist()
    c = model.output.weight[0].tolist()
    b = model.output.bias.item()
    y_hand = []
    for x_n in x.tolist():  # y = b + Σ_i c_i max(0, b_i + Σ_j w_ij x_j)
        r = [b_prime[i] + sum(W[i][j] * x_n[j] for j in range(C)) for i in range(n)]
        y_hand.append(b + sum(c[i] * max(0.0, r[i]) for i in range(n)))
    y_hand_t = torch.tensor(y_hand, dtype=torch.float64)
    torch.testing.assert_close(model(x), y_hand_t, rtol=0, atol=1e-13)


def test_two_relus_make_one_hard_sigmoid() -> None:
    c, b, w = 1.7, 0.4, -2.5
    model = ReLUNetwork(1, 2).double()
    with torch.no_grad():
        model.hidden.weight.copy_(torch.tensor([[w], [w]]))
        model.hidden.bias.copy_(torch.tensor([b, b - 1]))
        model.output.weight.copy_(torch.tensor([[c, -c]]))
        model.output.bias.zero_()
    x = torch.linspace(-3, 3, 601, dtype=torch.float64)
    torch.testing.assert_close(model(x.unsqueeze(1)), hard_sigmoid(x, c=c, b=b, w=w))


def _piecewise_linear_target(x: torch.Tensor) -> torch.Tensor:
    """A constant plus three hard sigmoids: a curve with six kinks, all inside [-1.5, 1.5]."""
    return (
        0.5
        + hard_sigmoid(x, c=2.0, b=1.5, w=1.0)  # rises on [-1.5, -0.5]
        - hard_sigmoid(x, c=1.5, b=0.5, w=2.0)  # falls on [-0.25, 0.25]
        + hard_sigmoid(x, c=1.0, b=-0.5, w=1.0)  # rises on [0.5, 1.5]
    )


def test_fits_piecewise_linear_target_beyond_linear_model() -> None:
    """Enough ReLUs overfit a piecewise-linear curve that a straight line cannot follow.

    Width 256 leaves enough ReLUs with a kink inside the data range (others can die at init);
    the loss stays below 3e-4 for each of the seeds 0 to 15.
    """
    torch.manual_seed(0)
    x = torch.linspace(-2, 2, 20).unsqueeze(1)  # (B, 1)
    y = _piecewise_linear_target(x[:, 0])  # (B,)

    X1 = torch.cat([torch.ones_like(x), x], dim=1)  # (B, 2)
    theta = torch.linalg.lstsq(X1, y.unsqueeze(1)).solution[:, 0]  # (2,)  [b, w]
    mse_linear = mse(X1 @ theta, y).item()  # the best linear model: model bias

    model = ReLUNetwork(1, 256)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_init = mse(model(x), y).item()
    for _ in range(1000):
        optimizer.zero_grad()
        loss = mse(model(x), y)
        loss.backward()
        optimizer.step()
    loss_final = mse(model(x), y).item()

    assert mse_linear > 0.1
    assert loss_final < 1e-3
    assert loss_final < loss_init / 100
