r"""Gradient saliency maps: the explainable-AI lecture (homework 9).

Which input components matter for the class score :math:`y_k`? Change :math:`x_n` by
:math:`\Delta x` and see how much :math:`y_k` changes: :math:`|\Delta y / \Delta x|`, in the
limit the gradient (Simonyan et al., arXiv:1312.6034, Eq. (2)):

.. math:: M_n = \left|\frac{\partial y_k}{\partial x_n}\right|

Computed for a batch at once: the scores of different examples do not depend on each other's
inputs (no batch normalisation in training mode), so the gradient of their sum is each one's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["class_score_gradient", "saliency"]

Forward = Callable[[Tensor], Tensor]
"""A model or function of inputs ``(B, ...)`` to scores ``(B, K)``."""


def class_score_gradient(f: Forward, x: Tensor, target: Tensor) -> Tensor:
    r""":math:`\partial y_{k_b} / \partial x_b` per example, ``x``'s shape, ``target`` ``(B,)``."""
    x = x.detach().requires_grad_(True)
    scores = f(x).gather(1, target.reshape(-1, 1)).sum()  # sum_b y_{b, k_b}
    (grad,) = torch.autograd.grad(scores, x)
    return grad


def saliency(f: Forward, x: Tensor, target: Tensor, absolute: bool = True) -> Tensor:
    r"""The saliency map :math:`|\partial y_k / \partial x|` (or the signed gradient)."""
    grad = class_score_gradient(f, x, target)
    return grad.abs() if absolute else grad
