r"""One encoder block of the Transformer, the Transformer lecture.

Vaswani et al., "Attention Is All You Need", arXiv:1706.03762, §3.1 and Fig. 1. The lecture
draws the block as: multi-head self-attention, a *residual* connection (add the input to the
output), layer normalization, then a position-wise fully connected network with its own
residual connection and layer normalization ("add & norm" twice):

.. math::
    h = \mathrm{LN}\big(x + \mathrm{MHA}(x)\big), \qquad
    y = \mathrm{LN}\big(h + \mathrm{FFN}(h)\big), \qquad
    \mathrm{FFN}(h) = W_2\, \phi(W_1 h + b_1) + b_2

This is the original *post-LN* block. The lecture also shows the *pre-LN* block of Xiong et
al., "On Layer Normalization in the Transformer Architecture" (arXiv:2002.04745), which moves
the normalization inside the residual branch and trains without a warm-up stage
(``norm_first=True``):

.. math::
    h = x + \mathrm{MHA}(\mathrm{LN}(x)), \qquad y = h + \mathrm{FFN}(\mathrm{LN}(h))

A stack of pre-LN blocks needs a final layer normalization, which
:class:`mllab.transformer.encoder_decoder.Transformer` adds.

Differences from PyTorch: parameter names differ from ``nn.TransformerEncoderLayer``
(``self_attn`` holds separate ``q_proj``/``k_proj``/``v_proj`` instead of one
``in_proj_weight``; ``ffn.0``/``ffn.3`` are its ``linear1``/``linear2``); masks mean True =
may attend (``src_key_padding_mask`` means True = padding). Dropout (on the attention weights,
inside the feed-forward network and on each residual branch, as PyTorch places it) draws from
PyTorch's global generator.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from torch import Tensor, nn

from mllab.attention.multi_head import KVCache, MultiHeadAttention
from mllab.config import require, require_int

__all__ = ["ACTIVATIONS", "EncoderBlock", "check_block_sizes", "feed_forward"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "gelu": nn.GELU, "gelu_tanh": partial(nn.GELU, approximate="tanh")}
r"""Activation :math:`\phi` of the feed-forward network by name (``"gelu"``: the exact erf form
of BERT; ``"gelu_tanh"``: the tanh approximation of GPT-2)."""


def check_block_sizes(d_model: int, num_heads: int, d_ff: int, dropout: float,
                      activation: str) -> None:
    r"""Refuse block sizes outside their ranges, naming the argument."""
    require_int("d_model", d_model, 1)
    require_int("num_heads", num_heads, 1)
    require_int("d_ff", d_ff, 1)
    require(0.0 <= dropout < 1.0, "dropout", "a float in [0, 1)", dropout)
    require(activation in ACTIVATIONS, "activation",
            f"one of {', '.join(map(repr, ACTIVATIONS))}", activation)


def feed_forward(d_model: int, d_ff: int, dropout: float, activation: str) -> nn.Sequential:
    r"""The position-wise network :math:`W_2\, \mathrm{dropout}(\phi(W_1 h + b_1)) + b_2`."""
    return nn.Sequential(nn.Linear(d_model, d_ff), ACTIVATIONS[activation](), nn.Dropout(dropout),
                         nn.Linear(d_ff, d_model))


class EncoderBlock(nn.Module):
    r"""Self-attention and feed-forward network, each with add & norm.

    Args:
        d_model: Size of token vectors (C).
        num_heads: Number of attention heads :math:`n_h` (a divisor of ``d_model``).
        d_ff: Hidden size of the feed-forward network.
        dropout: Dropout probability (attention weights, feed-forward, residual branches).
        norm_first: Pre-LN (arXiv:2002.04745) instead of the original post-LN.
        activation: ``"relu"`` (the paper), ``"gelu"`` or ``"gelu_tanh"``.
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
        self.ffn = feed_forward(d_model, d_ff, dropout, activation)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def _attend(self, x: Tensor, mask: Tensor | None, is_causal: bool,
                kv_cache: KVCache | None) -> Tensor:
        return self.dropout1(self.self_attn(x, mask=mask, is_causal=is_causal,
                                            kv_cache=kv_cache))  # (B, T, C)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.ffn(x))  # (B, T, C)

    def forward(self, x: Tensor, mask: Tensor | None = None, *, is_causal: bool = False,
                kv_cache: KVCache | None = None) -> Tensor:
        r"""Encode ``x`` ``(B, T, C)``; ``mask`` (True = may attend) broadcasts to
        ``(B, nh, T, T)``, e.g. :func:`mllab.attention.masks.padding_mask`. With ``is_causal``
        each token sees only itself and the tokens before it, and a ``kv_cache`` holds the keys
        and values of earlier calls: a decoder-only model (GPT) is a stack of such blocks."""
        if self.norm_first:
            x = x + self._attend(self.norm1(x), mask, is_causal, kv_cache)  # x + MHA(LN(x))
            return x + self._feed_forward(self.norm2(x))  # h + FFN(LN(h))
        x = self.norm1(x + self._attend(x, mask, is_causal, kv_cache))  # LN(x + MHA(x))
        return self.norm2(x + self._feed_forward(x))  # LN(h + FFN(h))
