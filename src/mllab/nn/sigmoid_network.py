r"""The "sum of sigmoids" of Lecture 1 ("machine learning is looking for a function").

A linear model has *model bias*: it cannot bend. Any piecewise-linear curve is a constant plus
a sum of hard sigmoids (:mod:`mllab.nn.hard_sigmoid`), and each hard sigmoid is approximated by
a smooth sigmoid :math:`c\,\sigma(b + w x)`. With several features, the sum of :math:`n`
sigmoids is

.. math::
    y = b + \sum_{i=1}^{n} c_i\, \sigma\Big(b_i + \sum_j w_{ij} x_j\Big)
      = b + c^\top \sigma(b' + W x),
    \qquad \sigma(r) = \frac{1}{1 + e^{-r}}

Unknown parameters :math:`\theta = (W, b', c, b)`: ``hidden.weight`` is :math:`W` ``(n, C)``,
``hidden.bias`` is :math:`b'` ``(n,)``, ``output.weight`` is :math:`c^\top` ``(1, n)`` and
``output.bias`` is :math:`b` ``(1,)``.

Differences from the course: the course writes both biases :math:`b`; the inner vector is
called :math:`b'` here. Initialisation is PyTorch's default for ``nn.Linear``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["SigmoidNetwork"]


class SigmoidNetwork(nn.Module):
    r"""One hidden layer of sigmoids: :math:`y = b + c^\top \sigma(b' + W x)`.

    Args:
        in_features: number of features :math:`C` of each input.
        n_sigmoids: number of sigmoids :math:`n` (the hidden width).

    Shapes:
        input ``(B, C)``, output ``(B,)``.
    """

    def __init__(self, in_features: int, n_sigmoids: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.n_sigmoids = n_sigmoids
        self.hidden = nn.Linear(in_features, n_sigmoids)  # W (n, C), b' (n,)
        self.output = nn.Linear(n_sigmoids, 1)  # c^T (1, n), b (1,)

    def forward(self, x: Tensor) -> Tensor:
        r"""Evaluate :math:`b + c^\top \sigma(b' + W x)` for a batch ``x`` of shape ``(B, C)``."""
        r = self.hidden(x)  # (B, n)  r = b' + W x
        a = torch.sigmoid(r)  # (B, n)  a = σ(r)
        y = self.output(a)  # (B, 1)  y = b + c^T a
        return y.squeeze(-1)  # (B,)
