r"""Cascaded logistic regressions (Lecture "Classification"): when no line separates the
classes, logistic regressions that transform the features come first, and a last one
classifies the transformed features; together they are a network with one hidden layer."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Cascade(nn.Module):
    r"""Cascaded logistic regressions, as in the lecture: two of them give the transformed
    features :math:`x' = \sigma(W_1 x + b_1)`, a third one classifies them,
    :math:`P(C_1|x) = \sigma(w_2^\top x' + b_2)`; returns the logit (B,)."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(2, 2)
        self.second = nn.Linear(2, 1)

    def features(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.first(x))  # (B, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.second(self.features(x)).squeeze(-1)  # (B,)
