r"""The network of the lecture "When gradient is small": :math:`y = w_2 w_1 x`, whose error
surface has a saddle point at the origin."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ChainNetwork(nn.Module):
    r"""The lecture's 1-1-1 network without biases or activation: :math:`y = w_2 w_1 x`.

    With the one example :math:`(x, \hat y) = (1, 1)` and MSE,
    :math:`L = (1 - w_1 w_2)^2`; at :math:`w_1 = w_2 = 0` the gradient is zero and
    :math:`H = \begin{pmatrix} 0 & -2 \\ -2 & 0 \end{pmatrix}` has eigenvalues :math:`\pm 2`:
    a saddle point.

    Shapes: input ``(B, 1)``, output ``(B,)``.
    """

    def __init__(self, w1: float = 0.0, w2: float = 0.0) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.tensor(w1, dtype=torch.float64))
        self.w2 = nn.Parameter(torch.tensor(w2, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return self.w2 * self.w1 * x[:, 0]  # (B,)
