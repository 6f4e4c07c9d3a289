r"""One decoder block of the Transformer, the Transformer lecture.

Vaswani et al., arXiv:1706.03762, §3.1 and Fig. 1. The decoder block adds two things to the
encoder block (:mod:`mllab.transformer.encoder_block`):

1. its self-attention is **masked**: position :math:`i` attends only to positions
   :math:`j \le i`, because at inference the decoder produces its outputs one at a time and
   the later ones do not exist yet (:func:`mllab.attention.masks.causal_mask`);
2. **cross-attention** between the two: the queries come from the decoder, the keys and
   values from the encoder's output (the *memory*).

Post-LN (the paper) and pre-LN (arXiv:2002.04745, ``norm_first=True``):

.. math::
    \text{post-LN:}\quad h_1 = \mathrm{LN}(x + \mathrm{MaskedMHA}(x)),\
    h_2 = \mathrm{LN}(h_1 + \mathrm{MHA}(h_1, m)),\ y = \mathrm{LN}(h_2 + \mathrm{FFN}(h_2))

.. math::
    \text{pre-LN:}\quad h_1 = x + \mathrm{MaskedMHA}(\mathrm{LN}(x)),\
    h_2 = h_1 + \mathrm{MHA}(\mathrm{LN}(h_1), m),\ y = h_2 + \mathrm{FFN}(\mathrm{LN}(h_2))

**Incremental decoding.** With a :class:`DecoderBlockCache` the block takes only the new
step(s): the masked self-attention appends their keys and values to those of the past steps,
and the cross-attention projects the memory into keys and values once, on the first step.

Differences from PyTorch: as for the encoder block (parameter names, masks with True = may
attend, dropout from the global generator); ``ffn.0``/``ffn.3`` are
``nn.TransformerDecoderLayer``'s ``linear1``/``linear2``, ``cross_attn`` its
``multihead_attn``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from mllab.attention.multi_head import KVCache, MultiHeadAttention
from mllab.transformer.encoder_block import check_block_sizes, feed_forward

__all__ = ["DecoderBlock", "DecoderBlockCache"]


@dataclass
class DecoderBlockCache:
    r"""What one decoder block keeps between decoding steps."""

    self_attn: KVCache = field(default_factory=KVCache)
    r"""Keys and values of the steps decoded so far (grows by one step per call)."""

    cross_attn: KVCache = field(default_factory=lambda: KVCache(static=True))
    r"""Keys and values of the memory, computed on the first step and reused."""


class DecoderBlock(nn.Module):
    r"""Masked self-attention, cross-attention to the memory and feed-forward, with add & norm.

    Args:
        d_model: Size of token vectors (C).
        num_heads: Number of attention heads :math:`n_h` (a divisor of ``d_model``).
        d_ff: Hidden size of the feed-forward network.
        dropout: Dropout probability (attention weights, feed-forward, residual branches).
        norm_first: Pre-LN (arXiv:2002.04745) instead of the original post-LN.
        activation: ``"relu"`` (the paper) or ``"gelu"``.
        reference: Attention from explicit weights instead of the fused kernel.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, *, dropout: float = 0.0,
                 norm_first: bool = False, activation: str = "relu",
                 reference: bool = False) -> None:
        super().__init__()
        check_block_sizes(d_model, num_heads, d_ff, dropout, activation)
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout,
                                            reference=reference)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout,
                                             reference=reference)
        self.ffn = feed_forward(d_model, d_ff, dropout, activation)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(dropout) for _ in range(3))

    def _self(self, x: Tensor, tgt_mask: Tensor | None, is_causal: bool,
              cache: DecoderBlockCache | None) -> Tensor:
        kv = None if cache is None else cache.self_attn
        return self.dropout1(self.self_attn(x, mask=tgt_mask, is_causal=is_causal, kv_cache=kv))

    def _cross(self, x: Tensor, memory: Tensor, memory_mask: Tensor | None,
               cache: DecoderBlockCache | None) -> Tensor:
        kv = None if cache is None else cache.cross_attn
        return self.dropout2(self.cross_attn(x, memory, mask=memory_mask, kv_cache=kv))

    def forward(self, x: Tensor, memory: Tensor, *, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, is_causal: bool = True,
                cache: DecoderBlockCache | None = None) -> Tensor:
        r"""Decode ``x`` ``(B, T, C)`` against ``memory`` ``(B, S, C)``.

        Args:
            x: Decoder tokens, shape ``(B, T, C)``: the whole target, or the new step(s) when
                ``cache`` is given.
            memory: Encoder output, shape ``(B, S, C)``.
            tgt_mask: Extra self-attention mask (True = may attend), broadcastable to
                ``(B, nh, T, T_past + T)``.
            memory_mask: Cross-attention mask (True = may attend), broadcastable to
                ``(B, nh, T, S)``, e.g. the source's padding mask.
            is_causal: Mask the future in the self-attention (the decoder's masked
                self-attention); on by default.
            cache: Keys and values of past steps and of the memory, updated in place.

        Returns:
            Outputs, shape ``(B, T, C)``.
        """
        if self.norm_first:
            x = x + self._self(self.norm1(x), tgt_mask, is_causal, cache)
            x = x + self._cross(self.norm2(x), memory, memory_mask, cache)
            return x + self.dropout3(self.ffn(self.norm3(x)))
        x = self.norm1(x + self._self(x, tgt_mask, is_causal, cache))
        x = self.norm2(x + self._cross(x, memory, memory_mask, cache))
        return self.norm3(x + self.dropout3(self.ffn(x)))
