r"""Layer normalization, the normalization of the Transformer lecture.

Ba, Kiros & Hinton, "Layer Normalization", arXiv:1607.06450.

Batch normalization (:mod:`mllab.nn.norm.batchnorm`) takes statistics of one feature across
the examples of a batch; layer normalization takes them across the features of *one* example
(one position of a sequence), so it needs no batch and keeps no running statistics. For an
example :math:`x` with :math:`K` values in its last dims (``normalized_shape``):

.. math::
    \mu = \frac{1}{K}\sum_{k} x_k, \qquad
    \sigma^2 = \frac{1}{K}\sum_{k} (x_k - \mu)^2, \qquad
    \tilde{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
    \hat{x} = \gamma \odot \tilde{x} + \beta

with learnable :math:`\gamma = \mathbf{1}`, :math:`\beta = \mathbf{0}` at initialization, of
shape ``normalized_shape``. Training and evaluation compute the same thing.

Differences from the course: the lecture only says "subtract the mean, divide by the standard
deviation"; the details are PyTorch's (``torch.nn.LayerNorm``): biased variance (divide by
:math:`K`), :math:`\epsilon = 10^{-5}` inside the square root, an element-wise :math:`\gamma`
and :math:`\beta`. The state dict holds ``gamma`` and ``beta`` where ``nn.LayerNorm``'s holds
``weight`` and ``bias`` (:data:`mllab.nn.norm.TORCH_PARAMETER_NAMES`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import is_int, require
from mllab.nn.norm.batchnorm import check_eps

__all__ = ["LayerNorm", "layer_norm_reference"]


def _as_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(normalized_shape, int):
        shape: tuple = (normalized_shape,)
    elif isinstance(normalized_shape, Sequence):
        shape = tuple(normalized_shape)
    else:
        shape = ()  # rejected below
    require(bool(shape) and all(is_int(k) and k >= 1 for k in shape), "normalized_shape",
            "an integer >= 1 or a non-empty sequence of them", normalized_shape)
    return shape


def _check_input(x: Tensor, shape: tuple[int, ...]) -> None:
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape) :]) != shape:
        raise ValueError(
            f"x must end with normalized_shape {shape}, got x of shape {tuple(x.shape)}"
        )


def layer_norm_reference(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    normalized_shape: int | Sequence[int],
    eps: float = 1e-5,
) -> Tensor:
    r"""Layer normalization written from the lecture with plain tensor operations.

    .. math::
        \hat{x} = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    with :math:`\mu, \sigma^2` (biased) of each example over its last
    ``len(normalized_shape)`` dims, e.g. over C for ``(B, C)`` or ``(B, T, C)`` input with
    ``normalized_shape = C``. Equals ``F.layer_norm(x, normalized_shape, gamma, beta, eps)``.

    Args:
        x: Inputs, shape ``(*, *normalized_shape)``, e.g. ``(B, C)`` or ``(B, T, C)``.
        gamma: Scale :math:`\gamma`, shape ``normalized_shape``.
        beta: Shift :math:`\beta`, shape ``normalized_shape``.
        normalized_shape: The trailing shape to normalize over; an int means ``(int,)``.
        eps: :math:`\epsilon > 0`, added to the variance inside the square root.

    Returns:
        :math:`\hat{x}`, the same shape as ``x``.

    Raises:
        ValueError: for ``eps`` or ``normalized_shape`` out of range, or an ``x`` that does not
            end with ``normalized_shape``.
    """
    shape = _as_shape(normalized_shape)
    check_eps(eps)
    _check_input(x, shape)
    dims = tuple(range(x.ndim - len(shape), x.ndim))  # the last len(shape) dims, e.g. (-1,)
    mu = x.mean(dim=dims, keepdim=True)  # (B, T, 1) for (B, T, C) over C: one μ per position
    sigma2 = x.var(dim=dims, keepdim=True, correction=0)  # (B, T, 1)  biased σ²
    x_tilde = (x - mu) / torch.sqrt(sigma2 + eps)  # (x − μ)/√(σ² + ε)
    return gamma * x_tilde + beta  # x̂ = γ ⊙ x̃ + β, γ and β broadcast over the leading dims


class LayerNorm(nn.Module):
    r"""Layer normalization :math:`\hat{x} = \gamma \odot (x - \mu)/\sqrt{\sigma^2+\epsilon}+\beta`.

    Statistics over the last dims of each example, as ``nn.LayerNorm``; no running statistics,
    so ``train()`` and ``eval()`` give the same output. By default ``forward`` calls the fused
    ``F.layer_norm``; ``reference=True`` calls :func:`layer_norm_reference` instead, for
    teaching. Parameters ``gamma`` (ones) and ``beta`` (zeros), shape ``normalized_shape``
    (``nn.LayerNorm``'s ``weight`` and ``bias``).

    Args:
        normalized_shape: The trailing shape to normalize over, e.g. ``C``; an int means
            ``(int,)``.
        eps: :math:`\epsilon > 0`, added to the variance inside the square root.
        reference: Use the lecture's :func:`layer_norm_reference` instead of ``F.layer_norm``.
        device: Device of the parameters.
        dtype: Floating-point dtype of the parameters.

    Shapes:
        input ``(*, *normalized_shape)``, e.g. ``(B, C)`` or ``(B, T, C)``; output the same.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        *,
        reference: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        check_eps(eps)
        self.eps = eps
        self.reference = reference
        factory = {"device": device, "dtype": dtype}
        self.gamma = nn.Parameter(torch.ones(self.normalized_shape, **factory))
        self.beta = nn.Parameter(torch.zeros(self.normalized_shape, **factory))

    def reset_parameters(self) -> None:
        r"""Set :math:`\gamma = 1`, :math:`\beta = 0`."""
        with torch.no_grad():
            self.gamma.fill_(1.0)
            self.beta.zero_()

    def forward(self, x: Tensor) -> Tensor:
        r"""Normalize each example of ``x``, shape ``(*, *normalized_shape)``; same shape."""
        if self.reference:
            return layer_norm_reference(x, self.gamma, self.beta, self.normalized_shape, self.eps)
        _check_input(x, self.normalized_shape)
        return F.layer_norm(x, self.normalized_shape, self.gamma, self.beta, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, reference={self.reference}"
