r"""Attention masks: which keys each query may attend to (Self-attention, Transformer lectures).

Every mask here is boolean with **True = may attend**, and broadcasts to the score shape
``(B, nh, Tq, Tk)``. Masks combine with ``&`` (a key is visible if every mask allows it);
:func:`combine` does the same while skipping ``None``. Attention sets the score of a hidden
key to :math:`-\infty` before the softmax, so its weight is exactly 0.

- :func:`padding_mask`: sequences of different lengths in one batch are padded to a common
  length; queries must not attend to the padding.
- :func:`causal_mask`: the decoder's *masked* self-attention: position :math:`i` sees only
  positions :math:`j \le i` (the outputs are produced one by one, the future is not there yet).
- :func:`window_mask`: *truncated* self-attention, the lecture's remedy for long inputs such as
  speech: each position sees only a local window :math:`i - \text{left} \le j \le i + \text{right}`.

Differences from PyTorch: ``nn.MultiheadAttention`` and ``nn.Transformer*`` take boolean masks
with the opposite meaning (True = *not* allowed) and a ``key_padding_mask`` with True =
padding; :func:`torch_mask` converts. ``F.scaled_dot_product_attention`` uses True = may
attend, as here.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require, require_int

__all__ = ["causal_mask", "combine", "padding_mask", "torch_mask", "window_mask"]


def padding_mask(lengths: Tensor, T: int) -> Tensor:
    r"""Key padding mask: key :math:`j` of sequence :math:`b` is visible iff :math:`j < L_b`.

    Args:
        lengths: Valid lengths :math:`L_b`, shape ``(B,)``, each in ``[1, T]``.
        T: Padded length (the number of keys).

    Returns:
        Bool mask of shape ``(B, 1, 1, T)`` (broadcasts over heads and queries).
    """
    require_int("T", T, 1)
    if lengths.ndim != 1:
        raise ValueError(f"lengths must have shape (B,), got {tuple(lengths.shape)}")
    if bool((lengths < 1).any()) or bool((lengths > T).any()):
        raise ValueError(f"lengths must lie in [1, {T}], got {lengths.tolist()}")
    j = torch.arange(T, device=lengths.device)
    return (j < lengths[:, None])[:, None, None, :]  # (B, 1, 1, T)


def causal_mask(T: int, Tk: int | None = None, *, device: torch.device | None = None) -> Tensor:
    r"""Causal mask: query :math:`i` sees keys :math:`j \le i + (T_k - T_q)`.

    With ``Tk = None`` (self-attention over the whole sequence) it is the lower triangle
    :math:`j \le i`. With ``Tk > T`` the ``T`` queries are the *last* ``T`` positions of the
    ``Tk`` keys, as in incremental decoding with a cache of ``Tk - T`` past steps.

    Args:
        T: Number of queries :math:`T_q`.
        Tk: Number of keys :math:`T_k \ge T_q`; defaults to ``T``.
        device: Device of the mask.

    Returns:
        Bool mask of shape ``(T, Tk)``.
    """
    require_int("T", T, 1)
    Tk = T if Tk is None else Tk
    require(isinstance(Tk, int) and Tk >= T, "Tk", f"an integer >= T = {T}", Tk)
    i = torch.arange(T, device=device)[:, None] + (Tk - T)  # absolute position of query i
    j = torch.arange(Tk, device=device)[None, :]
    return j <= i  # (T, Tk)


def window_mask(T: int, left: int, right: int = 0, *,
                device: torch.device | None = None) -> Tensor:
    r"""Local window: query :math:`i` sees keys :math:`i - \text{left} \le j \le i + \text{right}`.

    ``right = 0`` makes the window causal; ``window_mask(T, left, right) & causal_mask(T)``
    equals ``window_mask(T, left, 0)``.

    Args:
        T: Sequence length (queries and keys).
        left: Keys visible before the query, an integer >= 0.
        right: Keys visible after the query, an integer >= 0.
        device: Device of the mask.

    Returns:
        Bool mask of shape ``(T, T)``.
    """
    require_int("T", T, 1)
    require_int("left", left, 0)
    require_int("right", right, 0)
    i = torch.arange(T, device=device)[:, None]
    j = torch.arange(T, device=device)[None, :]
    return (j >= i - left) & (j <= i + right)  # (T, T)


def combine(*masks: Tensor | None) -> Tensor | None:
    r"""The conjunction ``m1 & m2 & ...`` of the masks that are not ``None`` (``None`` if none
    is left)."""
    present = [m for m in masks if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out


def torch_mask(mask: Tensor | None) -> Tensor | None:
    r"""The same mask in PyTorch's ``attn_mask`` convention (True = *not* allowed): ``~mask``."""
    return None if mask is None else ~mask
