r"""Loss functions of Lecture 1 ("machine learning is looking for a function"), by hand.

Step 2 of the course's recipe defines a loss :math:`L(\theta)` as the mean of a per-example
error :math:`e_n` over the :math:`N` examples of a batch. Every function here is pure, returns
the batch mean as a 0-dim tensor and is differentiable by autograd:

- :func:`mae`: mean absolute error, :math:`e = |y - \hat y|`;
- :func:`mse`: mean squared error, :math:`e = (y - \hat y)^2`;
- :func:`cross_entropy`: multi-class cross-entropy from logits, via a stable log-sum-exp;
- :func:`binary_cross_entropy`: two-class cross-entropy from one logit, in a stable form.

Shapes: B batch, C classes. Regression predictions may be ``(B,)`` or ``(B, 1)``.

Differences from the course: the course writes :math:`\hat y` for the label and :math:`y` for
the model's output; here, as in PyTorch, ``y_pred`` is the output and ``y`` the label. The
classification losses take logits :math:`z` rather than probabilities, so that softmax and log
are fused into one numerically stable expression (the course applies softmax, then the loss).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = [
    "LOSSES",
    "binary_cross_entropy",
    "cross_entropy",
    "logsumexp",
    "mae",
    "mse",
]


def _match_regression_shapes(y_pred: Tensor, y: Tensor) -> Tensor:
    r"""Return ``y_pred`` with the shape of ``y``, squeezing one trailing dimension of size 1.

    Accepts ``y_pred`` of shape ``(B,)`` or ``(B, 1)`` against ``y`` of shape ``(B,)`` (and, more
    generally, ``y.shape`` or ``y.shape + (1,)``). Any other mismatch raises instead of
    broadcasting: ``(B, 1) - (B,)`` would silently give a ``(B, B)`` matrix of errors.

    Raises:
        ValueError: if the shapes cannot be matched that way.
    """
    if y_pred.ndim == y.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred.squeeze(-1)
    if y_pred.shape != y.shape:
        raise ValueError(
            f"y_pred has shape {tuple(y_pred.shape)} but y has shape {tuple(y.shape)}; "
            "expected y_pred of shape y.shape or y.shape + (1,), e.g. (B,) or (B, 1) against (B,)"
        )
    return y_pred


def mae(y_pred: Tensor, y: Tensor) -> Tensor:
    r"""Mean absolute error (the course's first loss, :math:`L1`).

    .. math:: L = \frac{1}{N}\sum_{n=1}^{N} |y_n - \hat y_n|

    Args:
        y_pred: predictions :math:`\hat y`, shape ``(B,)`` or ``(B, 1)``.
        y: labels :math:`y`, shape ``(B,)``.

    Returns:
        The batch mean, a 0-dim tensor.

    Raises:
        ValueError: on a shape mismatch other than a trailing dimension of size 1.
    """
    y_pred = _match_regression_shapes(y_pred, y)
    e = (y - y_pred).abs()  # (B,)  e_n = |y_n - ŷ_n|
    return e.mean()


def mse(y_pred: Tensor, y: Tensor) -> Tensor:
    r"""Mean squared error.

    .. math:: L = \frac{1}{N}\sum_{n=1}^{N} (y_n - \hat y_n)^2

    Args:
        y_pred: predictions :math:`\hat y`, shape ``(B,)`` or ``(B, 1)``.
        y: labels :math:`y`, shape ``(B,)``.

    Returns:
        The batch mean, a 0-dim tensor.

    Raises:
        ValueError: on a shape mismatch other than a trailing dimension of size 1.
    """
    y_pred = _match_regression_shapes(y_pred, y)
    e = (y - y_pred) ** 2  # (B,)  e_n = (y_n - ŷ_n)^2
    return e.mean()


def logsumexp(z: Tensor, dim: int = -1) -> Tensor:
    r"""Log-sum-exp along ``dim``, shifted by the maximum so that no exponential overflows.

    .. math:: \log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}, \qquad m = \max_j z_j

    Every :math:`z_j - m \le 0`, so each :math:`e^{z_j - m} \in (0, 1]` and the sum is at
    least 1: neither overflow nor :math:`\log 0`. The identity holds for any :math:`m`, so the
    gradient through :math:`m` cancels and autograd still returns the softmax.

    Args:
        z: logits, any shape.
        dim: the dimension to reduce.

    Returns:
        ``z`` with ``dim`` removed.
    """
    m = z.amax(dim=dim, keepdim=True)  # (..., 1, ...)
    lse = m + torch.log(torch.exp(z - m).sum(dim=dim, keepdim=True))  # (..., 1, ...)
    return lse.squeeze(dim)


def cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    r"""Multi-class cross-entropy between ``softmax(logits)`` and integer class labels.

    With :math:`y' = \mathrm{softmax}(z)` and a one-hot label :math:`y`, the course's
    :math:`e = -\sum_i y_i \ln y'_i` only keeps the true class :math:`k_n`:

    .. math::
        L = -\frac{1}{N}\sum_{n=1}^{N} \ln \frac{e^{z_{n,k_n}}}{\sum_j e^{z_{n,j}}}
          = -\frac{1}{N}\sum_{n=1}^{N} \Big(z_{n,k_n} - \log\sum_j e^{z_{n,j}}\Big)

    The log-softmax is computed with :func:`logsumexp`, so logits of :math:`\pm 100` give a
    finite loss and gradient.

    Args:
        logits: unnormalised scores :math:`z`, shape ``(B, C)``.
        target: class indices :math:`k_n \in \{0, \dots, C-1\}`, integer tensor of shape ``(B,)``.

    Returns:
        The batch mean, a 0-dim tensor.

    Raises:
        ValueError: if the shapes or the target's dtype do not fit.
    """
    if logits.ndim != 2 or target.shape != logits.shape[:1]:
        raise ValueError(
            f"expected logits of shape (B, C) and target of shape (B,), got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}"
        )
    if target.is_floating_point() or target.is_complex():
        raise ValueError(f"target must hold integer class indices, got dtype {target.dtype}")
    z_true = logits.gather(1, target.long().unsqueeze(1)).squeeze(1)  # (B,)  z_{n,k_n}
    log_p = z_true - logsumexp(logits, dim=1)  # (B,)  ln softmax(z_n)_{k_n}
    return -log_p.mean()


def binary_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    r"""Binary cross-entropy between :math:`\sigma(z)` and labels :math:`y \in [0, 1]`.

    .. math::
        L = -\frac{1}{N}\sum_{n=1}^{N} \big(y_n \ln\sigma(z_n) + (1 - y_n)\ln(1 - \sigma(z_n))\big)
          = \frac{1}{N}\sum_{n=1}^{N} \big(\max(z_n, 0) - z_n y_n + \ln(1 + e^{-|z_n|})\big)

    The second form never exponentiates a positive number. Here :math:`\max(z, 0)` is written as
    :math:`(z + |z|)/2` so that its gradient at :math:`z = 0` is :math:`1/2`, which makes the
    total gradient :math:`\sigma(z) - y` exact there too (``relu`` or ``clamp`` would give 0 or 1).

    Args:
        logits: logits :math:`z`, any shape (usually ``(B,)``).
        target: labels :math:`y` (hard or soft), floating point, same shape as ``logits``.

    Returns:
        The mean over all elements, a 0-dim tensor.

    Raises:
        ValueError: if the shapes differ.
    """
    if logits.shape != target.shape:
        raise ValueError(
            f"logits has shape {tuple(logits.shape)} but target has shape {tuple(target.shape)}; "
            "they must be equal"
        )
    z, y = logits, target
    relu_z = (z + z.abs()) / 2  # max(z, 0)
    e = relu_z - z * y + torch.log1p(torch.exp(-z.abs()))  # per-element loss
    return e.mean()


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mae": mae,
    "mse": mse,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
}
r"""The losses by name, for configuration files and the CLI."""
