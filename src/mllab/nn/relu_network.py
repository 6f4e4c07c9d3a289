r"""A sum of ReLUs, the Lecture 1 alternative to the sum of sigmoids.

Two rectified linear units make one hard sigmoid (:mod:`mllab.nn.hard_sigmoid`), so a weighted
sum of ReLUs can also express any piecewise-linear function:

.. math::
    y = b + \sum_{i=1}^{n} c_i \max\Big(0,\ b_i + \sum_j w_{ij} x_j\Big)
      = b + c^\top \max(0,\ b' + W x)

Parameters as in :mod:`mllab.nn.sigmoid_network`: ``hidden.weight`` is :math:`W` ``(n, C)``,
``hidden.bias`` is :math:`b'` ``(n,)``, ``output.weight`` is :math:`c^\top` ``(1, n)`` and
``output.bias`` is :math:`b` ``(1,)``.

Differences from the course: the inner bias vector is called :math:`b'`. The course counts two
ReLUs per sigmoid; here ``n_relus`` is the number of ReLUs itself.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ReLUNetwork"]


class ReLUNetwork(nn.Module):
    r"""One hidden layer of ReLUs: :math:`y = b + c^\top \max(0, b' + W x)`.

    Args:
        in_features: number of features :math:`C` of each input.
        n_relus: number of ReLUs :math:`n` (the hidden width).

    Shapes:
        input ``(B, C)``, output ``(B,)``.
    """

    def __init__(self, in_features: int, n_relus: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.n_relus = n_relus
        self.hidden = nn.Linear(in_features, n_relus)  # W (n, C), b' (n,)
        self.output = nn.Linear(n_relus, 1)  # c^T (1, n), b (1,)

    def forward(self, x: Tensor) -> Tensor:
        r"""Evaluate :math:`b + c^\top \max(0, b' + W x)` for a batch ``x`` of shape ``(B, C)``."""
        r = self.hidden(x)  # (B, n)  r = b' + W x
        a = torch.relu(r)  # (B, n)  a = max(0, r)
        y = self.output(a)  # (B, 1)  y = b + c^T a
        return y.squeeze(-1)  # (B,)
