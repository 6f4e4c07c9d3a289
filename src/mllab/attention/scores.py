r"""Attention scores: how relevant key :math:`k^j` is to query :math:`q^i` (Self-attention).

The lecture computes the *attention score* :math:`\alpha_{i,j}` of a query vector
:math:`q^i = W^q a^i` against a key vector :math:`k^j = W^k a^j` in one of two ways:

- **Dot-product**: :math:`\alpha_{i,j} = q^i \cdot k^j`. The Transformer (Vaswani et al.,
  "Attention Is All You Need", arXiv:1706.03762, §3.2.1) divides by :math:`\sqrt{d_k}` so that
  the scores of long vectors do not push the softmax into its flat regions:

  .. math:: \alpha_{i,j} = \frac{q^i \cdot k^j}{\sqrt{d_k}}

- **Additive** (Bahdanau et al., arXiv:1409.0473): concatenate, multiply by :math:`W`, pass
  through :math:`\tanh`, then project onto a vector :math:`w`:

  .. math:: \alpha_{i,j} = w^\top \tanh\big(W [q^i; k^j]\big)

Both return a score matrix of shape ``(..., Tq, Tk)``: row :math:`i` holds the scores of query
:math:`i` against every key; :func:`mllab.attention.self_attention.softmax_weights` turns a row
into attention weights :math:`\alpha'_{i,j}`.

Differences from the course: the lecture writes the dot product without the scale; the code
scales by default (``scale=True``) as the Transformer does, and ``scale=False`` gives the
lecture's :math:`q \cdot k`. The additive score is computed without forming the
:math:`T_q \times T_k` concatenations: :math:`W[q; k] = W_q q + W_k k` with :math:`W = [W_q\ W_k]`,
which is the same product split by columns.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from mllab.config import require_int

__all__ = ["AdditiveScore", "additive_scores", "dot_product_scores"]


def dot_product_scores(q: Tensor, k: Tensor, *, scale: bool = True) -> Tensor:
    r"""Dot-product scores :math:`\alpha_{i,j} = q^i \cdot k^j / \sqrt{d_k}`.

    Args:
        q: Queries, shape ``(..., Tq, hs)``.
        k: Keys, shape ``(..., Tk, hs)``.
        scale: Divide by :math:`\sqrt{d_k}` (``hs``) as the Transformer does; ``False`` gives
            the lecture's plain :math:`q \cdot k`.

    Returns:
        Scores, shape ``(..., Tq, Tk)``.
    """
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dim, got {q.shape[-1]} and {k.shape[-1]}")
    alpha = q @ k.transpose(-2, -1)  # (..., Tq, Tk)
    return alpha / math.sqrt(q.shape[-1]) if scale else alpha


def additive_scores(q: Tensor, k: Tensor, W: Tensor, w: Tensor) -> Tensor:
    r"""Additive scores :math:`\alpha_{i,j} = w^\top \tanh(W [q^i; k^j])`.

    Args:
        q: Queries, shape ``(..., Tq, dq)``.
        k: Keys, shape ``(..., Tk, dk)``.
        W: The matrix :math:`W`, shape ``(d_hidden, dq + dk)``; its first ``dq`` columns
            multiply :math:`q`, the rest :math:`k`.
        w: The vector :math:`w`, shape ``(d_hidden,)``.

    Returns:
        Scores, shape ``(..., Tq, Tk)``.
    """
    dq = q.shape[-1]
    if W.shape[-1] != dq + k.shape[-1]:
        raise ValueError(f"W must have dq + dk = {dq + k.shape[-1]} columns, got {W.shape[-1]}")
    Wq_q = q @ W[:, :dq].T  # (..., Tq, d_hidden)
    Wk_k = k @ W[:, dq:].T  # (..., Tk, d_hidden)
    h = torch.tanh(Wq_q.unsqueeze(-2) + Wk_k.unsqueeze(-3))  # (..., Tq, Tk, d_hidden): W[q; k]
    return h @ w  # (..., Tq, Tk)


class AdditiveScore(nn.Module):
    r"""The additive attention score as a module with learnable :math:`W` and :math:`w`.

    .. math:: \alpha_{i,j} = w^\top \tanh\big(W [q^i; k^j]\big)

    Args:
        d_q: Size of a query vector.
        d_k: Size of a key vector.
        d_hidden: Rows of :math:`W` (the size of the :math:`\tanh` layer).
        generator: Optional generator for the initial weights (uniform, as ``nn.Linear``).
    """

    def __init__(self, d_q: int, d_k: int, d_hidden: int, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        for name, value in (("d_q", d_q), ("d_k", d_k), ("d_hidden", d_hidden)):
            require_int(name, value, 1)
        bound_W, bound_w = 1 / math.sqrt(d_q + d_k), 1 / math.sqrt(d_hidden)
        self.W = nn.Parameter(_uniform((d_hidden, d_q + d_k), bound_W, generator))
        self.w = nn.Parameter(_uniform((d_hidden,), bound_w, generator))

    def forward(self, q: Tensor, k: Tensor) -> Tensor:
        r"""Scores ``(..., Tq, Tk)`` for ``q`` ``(..., Tq, d_q)`` and ``k`` ``(..., Tk, d_k)``."""
        return additive_scores(q, k, self.W, self.w)


def _uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator | None) -> Tensor:
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound
