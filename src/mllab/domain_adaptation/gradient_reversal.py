r"""The gradient reversal layer (GRL) of domain adversarial training.

The domain-adaptation lecture: a feature extractor is trained to *fool* a domain classifier
that tells source from target features; Ganin et al., arXiv:1505.07818, Section 3.3, put
between them a layer :math:`R_\lambda` that is the identity forward and multiplies the
gradient by :math:`-\lambda` backward (Eqs. 14-15):

.. math:: R_\lambda(x) = x, \qquad \frac{dR_\lambda}{dx} = -\lambda I

so one backward pass descends the domain loss in the classifier and ascends it in the
extractor.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["GradientReversal", "grad_reverse"]


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, lambda_: float) -> Tensor:
        ctx.lambda_ = lambda_
        return x.view_as(x)  # R(x) = x (Eq. 14)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.lambda_ * grad, None  # dR/dx = -lambda I (Eq. 15)


def grad_reverse(x: Tensor, lambda_: float = 1.0) -> Tensor:
    r""":math:`R_\lambda(x)`: ``x`` forward, :math:`-\lambda \cdot` gradient backward."""
    return _Reverse.apply(x, float(lambda_))


class GradientReversal(nn.Module):
    r""":func:`grad_reverse` as a layer; set ``lambda_`` as training proceeds."""

    def __init__(self, lambda_: float = 1.0) -> None:
        super().__init__()
        self.lambda_ = float(lambda_)

    def forward(self, x: Tensor) -> Tensor:
        return grad_reverse(x, self.lambda_)

    def extra_repr(self) -> str:
        return f"lambda_={self.lambda_}"
