r"""Multi-head self-attention, the Self-attention lecture's "different types of relevance".

Each head :math:`h = 1, \dots, n_h` has its own projections
:math:`q^{i,h} = W^{q,h} q^i`, :math:`k^{i,h} = W^{k,h} k^i`, :math:`v^{i,h} = W^{v,h} v^i`
of size :math:`hs = d_{model} / n_h`, attends on its own,

.. math::
    b^{i,h} = \sum_j \mathrm{softmax}_j\Big(\frac{q^{i,h} \cdot k^{j,h}}{\sqrt{hs}}\Big) v^{j,h},

and the heads' outputs are concatenated and mixed by :math:`W^O`:
:math:`b^i = W^O [b^{i,1}; \dots; b^{i,n_h}]` (Vaswani et al., arXiv:1706.03762, §3.2.2).
The per-head matrices are stacked row-wise into one ``nn.Linear`` per role (``q_proj``,
``k_proj``, ``v_proj``), so head :math:`h` owns rows :math:`h \cdot hs, \dots, (h+1) hs - 1`.

:class:`KVCache` serves incremental decoding: at step :math:`t` only the new token's
:math:`q, k, v` are computed, its :math:`k, v` are appended to those of the past steps, and the
new query attends over all of them. A *static* cache holds keys and values computed once (the
encoder output in cross-attention).

Differences from PyTorch: ``nn.MultiheadAttention`` stores the three projections as one
``in_proj_weight`` :math:`[W^q; W^k; W^v]`, takes boolean masks with True = *not* allowed, and
averages the returned weights over heads by default; here masks mean True = may attend
(:mod:`mllab.attention.masks`) and ``need_weights=True`` returns every head's weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.attention.masks import causal_mask, combine
from mllab.attention.self_attention import attention, attention_weights
from mllab.config import require, require_int

__all__ = ["KVCache", "MultiHeadAttention"]


@dataclass
class KVCache:
    r"""Keys and values of the steps seen so far, per head, for incremental decoding."""

    k: Tensor | None = None
    r"""Past keys, shape ``(B, nh, T_past, hs)``; ``None`` before the first step."""

    v: Tensor | None = None
    r"""Past values, shape ``(B, nh, T_past, hs)``; ``None`` before the first step."""

    static: bool = False
    r"""Computed once and reused (cross-attention over a fixed memory) instead of appended to."""

    @property
    def length(self) -> int:
        r"""Number of cached steps."""
        return 0 if self.k is None else self.k.shape[-2]

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        r"""Append the new steps' ``k, v`` ``(B, nh, T_new, hs)``; return all keys and values."""
        self.k = k if self.k is None else torch.cat([self.k, k], dim=-2)  # (B, nh, T, hs)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=-2)  # (B, nh, T, hs)
        return self.k, self.v


class MultiHeadAttention(nn.Module):
    r"""Multi-head attention with output projection :math:`W^O`.

    Args:
        d_model: Size of token vectors (C), divisible by ``num_heads``.
        num_heads: Number of heads :math:`n_h`.
        bias: Give the four projections biases.
        dropout: Probability of dropping an attention weight in training mode.
        reference: Compute attention from explicit weights instead of the fused kernel.
    """

    def __init__(self, d_model: int, num_heads: int, *, bias: bool = True, dropout: float = 0.0,
                 reference: bool = False) -> None:
        super().__init__()
        require_int("d_model", d_model, 1)
        require_int("num_heads", num_heads, 1)
        require(d_model % num_heads == 0, "num_heads", f"a divisor of d_model = {d_model}",
                num_heads)
        require(0.0 <= dropout < 1.0, "dropout", "a float in [0, 1)", dropout)
        self.d_model, self.num_heads, self.head_size = d_model, num_heads, d_model // num_heads
        self.dropout, self.reference = dropout, reference
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)  # W^O

    def split_heads(self, x: Tensor) -> Tensor:
        r"""``(B, T, C)`` to ``(B, nh, T, hs)``: head ``h`` gets features ``h*hs:(h+1)*hs``."""
        B, T, _ = x.shape
        return x.view(B, T, self.num_heads, self.head_size).transpose(1, 2)  # (B, nh, T, hs)

    def project_kv(self, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
        r"""Per-head keys and values ``(B, nh, Tk, hs)`` of ``key``, ``value`` ``(B, Tk, C)``."""
        return self.split_heads(self.k_proj(key)), self.split_heads(self.v_proj(value))

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                mask: Tensor | None = None, is_causal: bool = False,
                kv_cache: KVCache | None = None,
                need_weights: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        r"""Attend from ``query`` to ``key``/``value`` (self-attention when they are omitted).

        Args:
            query: Query tokens, shape ``(B, Tq, C)``.
            key: Key tokens ``(B, Tk, C)``; defaults to ``query``.
            value: Value tokens ``(B, Tk, C)``; defaults to ``key``.
            mask: Bool mask (True = may attend), broadcastable to ``(B, nh, Tq, Tk)``, where
                ``Tk`` counts cached steps too.
            is_causal: Query :math:`i` (at absolute position ``T_past + i``) sees keys up to
                its own position; combined with ``mask``.
            kv_cache: Past keys and values: the new ones are appended and the queries attend
                over all; a filled static cache is used as is (``key``, ``value`` ignored).
            need_weights: Also return the attention weights ``(B, nh, Tq, Tk)``, computed
                explicitly (the fused kernel does not return them).

        Returns:
            Outputs ``(B, Tq, C)``, and the weights when ``need_weights``.
        """
        key = query if key is None else key
        value = key if value is None else value
        B, Tq, C = query.shape
        q = self.split_heads(self.q_proj(query))  # (B, nh, Tq, hs)
        if kv_cache is not None and kv_cache.static and kv_cache.k is not None:
            k, v = kv_cache.k, kv_cache.v  # (B, nh, Tk, hs)
        else:
            k, v = self.project_kv(key, value)  # (B, nh, Tk, hs)
            if kv_cache is not None:
                k, v = kv_cache.append(k, v)  # (B, nh, T_past + Tk, hs)
        if is_causal:
            mask = combine(mask, causal_mask(Tq, k.shape[-2], device=query.device))
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            weights = attention_weights(q, k, mask)  # (B, nh, Tq, Tk)
            dropped = nn.functional.dropout(weights, p) if p > 0 else weights
            y = dropped @ v  # (B, nh, Tq, hs)
        else:
            y = attention(q, k, v, mask, dropout_p=p, reference=self.reference)  # (B, nh, Tq, hs)
        y = y.transpose(1, 2).reshape(B, Tq, C)  # (B, Tq, C): heads concatenated
        out = self.out_proj(y)  # W^O
        return (out, weights) if need_weights else out
