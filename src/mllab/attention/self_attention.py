r"""Self-attention as the Self-attention lecture writes it, in matrix form.

Stack the input vectors :math:`a^1, \dots, a^N` as the *columns* of :math:`I` (size
:math:`d \times N`). Then

.. math::
    Q = W^q I, \qquad K = W^k I, \qquad V = W^v I, \qquad
    A = K^\top Q, \qquad A' = \mathrm{softmax}(A)\ \text{(each column)}, \qquad O = V A'

Column :math:`i` of :math:`A` holds the scores :math:`\alpha_{i,j} = k^j \cdot q^i` of query
:math:`i` against every key :math:`j`; the softmax normalises each column into weights that
sum to 1; column :math:`i` of :math:`O` is :math:`b^i = \sum_j \alpha'_{i,j} v^j`. Each token
attends to every token, itself included. The only parameters are :math:`W^q, W^k, W^v`.

:func:`reference` computes exactly these matrices, one by one. The rest of the library is
batch-first, with tokens as *rows*: :math:`X = I^\top` of shape ``(B, T, C)``, so
:math:`Q_{\text{rows}} = X (W^q)^\top = Q^\top`, the score matrix is
:math:`S = Q_{\text{rows}} K_{\text{rows}}^\top = A^\top` (``(B, Tq, Tk)``, row :math:`i` =
query :math:`i`), the softmax runs over the last dim (the keys), and the output is
:math:`S' V_{\text{rows}} = (V A')^\top = O^\top`. :func:`attention` is that batch-first
computation: by default ``torch.nn.functional.scaled_dot_product_attention`` (the fused
kernel), with ``reference=True`` the explicit scores, softmax and weighted sum
(:func:`attention_weights`, then ``weights @ v``).

Differences from the course: the lecture's :math:`A = K^\top Q` has no scale; like the
Transformer (arXiv:1706.03762, §3.2.1) the code divides by :math:`\sqrt{d_k}` unless
``scale=False``. Masks (:mod:`mllab.attention.masks`, True = may attend) set hidden scores to
:math:`-\infty`. Attention dropout, when asked for, draws from PyTorch's global generator
(the fused kernel takes no generator).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.attention.scores import dot_product_scores
from mllab.config import require, require_int

__all__ = ["LectureMatrices", "SelfAttention", "attention", "attention_weights", "reference"]


class LectureMatrices(NamedTuple):
    r"""The lecture's matrices, tokens as columns (``N`` tokens)."""

    Q: Tensor
    r""":math:`W^q I`, shape ``(d_k, N)``."""
    K: Tensor
    r""":math:`W^k I`, shape ``(d_k, N)``."""
    V: Tensor
    r""":math:`W^v I`, shape ``(d_v, N)``."""
    A: Tensor
    r""":math:`K^\top Q` (scaled when asked), shape ``(N, N)``; column i = query i."""
    A_prime: Tensor
    r""":math:`\mathrm{softmax}(A)` column-wise, shape ``(N, N)``."""
    O: Tensor  # noqa: E741 - the lecture's symbol
    r""":math:`V A'`, shape ``(d_v, N)``."""


def reference(I: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor, *,  # noqa: E741
              scale: bool = True) -> LectureMatrices:
    r"""The lecture's self-attention step by step, tokens as columns.

    Args:
        I: Inputs as columns, shape ``(d, N)``.
        W_q: :math:`W^q`, shape ``(d_k, d)``.
        W_k: :math:`W^k`, shape ``(d_k, d)``.
        W_v: :math:`W^v`, shape ``(d_v, d)``.
        scale: Divide :math:`A` by :math:`\sqrt{d_k}` (the Transformer); ``False`` is the
            lecture's :math:`A = K^\top Q`.

    Returns:
        :class:`LectureMatrices` with :math:`Q, K, V, A, A', O`.
    """
    Q = W_q @ I  # (d_k, N)
    K = W_k @ I  # (d_k, N)
    V = W_v @ I  # (d_v, N)
    A = K.T @ Q  # (N, N): A[j, i] = k^j . q^i
    if scale:
        A = A / math.sqrt(Q.shape[0])
    A_prime = torch.softmax(A, dim=0)  # each column sums to 1
    O = V @ A_prime  # noqa: E741 - (d_v, N): b^i = sum_j alpha'_{i,j} v^j
    return LectureMatrices(Q, K, V, A, A_prime, O)


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None, *,
                      scale: bool = True) -> Tensor:
    r"""Attention weights :math:`\alpha'_{i,j} = \mathrm{softmax}_j(q^i \cdot k^j / \sqrt{d_k})`.

    Args:
        q: Queries, shape ``(..., Tq, hs)``, e.g. ``(B, nh, Tq, hs)``.
        k: Keys, shape ``(..., Tk, hs)``.
        mask: Bool mask (True = may attend) broadcastable to ``(..., Tq, Tk)``.
        scale: Divide the scores by :math:`\sqrt{d_k}`.

    Returns:
        Weights of shape ``(..., Tq, Tk)``; each row sums to 1 over the visible keys and is 0
        on the hidden ones. A query with no visible key has no distribution: its row is NaN
        (``F.scaled_dot_product_attention`` returns a zero output for it instead), so masks
        must leave every query at least one key, as padding and causal masks do.
    """
    alpha = dot_product_scores(q, k, scale=scale)  # (..., Tq, Tk)
    if mask is not None:
        alpha = alpha.masked_fill(~mask, -math.inf)
    return torch.softmax(alpha, dim=-1)  # over the keys


def attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, *,
              is_causal: bool = False, dropout_p: float = 0.0, scale: bool = True,
              reference: bool = False) -> Tensor:
    r"""Batch-first attention :math:`\mathrm{softmax}(QK^\top/\sqrt{d_k})V` (rows = tokens).

    Args:
        q: Queries, shape ``(..., Tq, hs)``.
        k: Keys, shape ``(..., Tk, hs)``.
        v: Values, shape ``(..., Tk, hs_v)``.
        mask: Bool mask (True = may attend) broadcastable to ``(..., Tq, Tk)``.
        is_causal: Query :math:`i` sees keys :math:`j \le i` (``Tq == Tk``); combined with
            ``mask`` when both are given.
        dropout_p: Probability of dropping an attention weight (0 in evaluation).
        scale: Divide the scores by :math:`\sqrt{d_k}`.
        reference: Compute the weights explicitly (:func:`attention_weights`) instead of
            calling ``F.scaled_dot_product_attention``.

    Returns:
        Outputs :math:`b^i`, shape ``(..., Tq, hs_v)``.
    """
    require(0.0 <= dropout_p < 1.0, "dropout_p", "a float in [0, 1)", dropout_p)
    if is_causal:
        causal = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
        mask, is_causal = (causal if mask is None else mask & causal), False
    s = None if scale else 1.0
    if not reference:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                              scale=s)
    weights = attention_weights(q, k, mask, scale=scale)  # (..., Tq, Tk)
    if dropout_p > 0:
        weights = F.dropout(weights, dropout_p)
    return weights @ v  # (..., Tq, hs_v)


class SelfAttention(nn.Module):
    r"""Single-head self-attention with parameters :math:`W^q, W^k, W^v` (no biases).

    .. math:: O^\top = \mathrm{softmax}\big(X (W^q)^\top (X (W^k)^\top)^\top / \sqrt{d_k}\big)\,
        X (W^v)^\top

    ``W_q.weight`` is the lecture's :math:`W^q` (``nn.Linear`` computes :math:`X W^\top`).

    Args:
        d_in: Size :math:`d` of an input vector (C).
        d_k: Size of queries and keys.
        d_v: Size of values and outputs; defaults to ``d_k``.
        reference: Use the explicit weights instead of the fused kernel.
    """

    def __init__(self, d_in: int, d_k: int, d_v: int | None = None, *,
                 reference: bool = False) -> None:
        super().__init__()
        d_v = d_k if d_v is None else d_v
        for name, value in (("d_in", d_in), ("d_k", d_k), ("d_v", d_v)):
            require_int(name, value, 1)
        self.W_q = nn.Linear(d_in, d_k, bias=False)
        self.W_k = nn.Linear(d_in, d_k, bias=False)
        self.W_v = nn.Linear(d_in, d_v, bias=False)
        self.reference = reference

    def forward(self, x: Tensor, mask: Tensor | None = None, *, is_causal: bool = False) -> Tensor:
        r"""Outputs ``(B, T, d_v)`` for ``x`` ``(B, T, d_in)``; ``mask`` as :func:`attention`."""
        q, k, v = self.W_q(x), self.W_k(x), self.W_v(x)  # (B, T, d_k), (B, T, d_k), (B, T, d_v)
        return attention(q, k, v, mask, is_causal=is_causal, reference=self.reference)
