r"""The linear model of Lecture 1 ("machine learning is looking for a function").

The course's first guess at the function: a weighted sum of the features plus a bias,

.. math:: y = b + \sum_j w_j x_j

Its limit, *model bias* (a straight line cannot bend, whatever :math:`w` and :math:`b` are),
motivates the sum of sigmoids in :mod:`mllab.nn.sigmoid_network`.

Differences from the course: none in the math. The parameters live in an
``nn.Linear(in_features, 1)``, so :math:`w` is stored as a ``(1, C)`` matrix (``weight``) and
:math:`b` as a ``(1,)`` vector (``bias``); weight-decay rules elsewhere in the package treat
parameters with ``ndim >= 2`` as weights and 1-D ones as biases.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["LinearModel"]


class LinearModel(nn.Module):
    r"""Linear regression :math:`y = b + \sum_j w_j x_j = b + x^\top w`.

    Args:
        in_features: number of features :math:`C` of each input.

    Shapes:
        input ``(B, C)``, output ``(B,)``.
    """

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.linear = nn.Linear(in_features, 1)  # weight (1, C) = w^T, bias (1,) = b

    def forward(self, x: Tensor) -> Tensor:
        r"""Evaluate :math:`y = b + \sum_j w_j x_j` for a batch ``x`` of shape ``(B, C)``."""
        y = self.linear(x)  # (B, 1)  b + Σ_j w_j x_j
        return y.squeeze(-1)  # (B,)
