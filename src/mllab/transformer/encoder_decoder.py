r"""The Transformer: an encoder and a decoder for sequence-to-sequence, the Transformer lecture.

Vaswani et al., "Attention Is All You Need", arXiv:1706.03762. The lecture's seq2seq model:
the **encoder** turns the source tokens into one vector per token (the *memory*), the
**decoder** produces the output one token at a time, each step reading its own previous
outputs (masked self-attention) and the memory (cross-attention), starting from a BEGIN token
and ending when it emits END. In training the decoder reads the ground truth shifted right
(*teacher forcing*) and all positions are computed at once under the causal mask.

.. math::
    m = \mathrm{Enc}^N\big(\sqrt{d}\, E_{src}[x] + PE\big), \qquad
    \mathrm{logits} = W_{out}\, \mathrm{Dec}^N\big(\sqrt{d}\, E_{tgt}[y] + PE,\ m\big)

Token embeddings are multiplied by :math:`\sqrt{d}` (§3.4) and dropout is applied to the sum
with the positional encoding (§5.4). With ``norm_first`` (pre-LN, arXiv:2002.04745) the
encoder and the decoder each end with a layer normalization.

:meth:`Transformer.decode_step` is incremental decoding: it takes one token per sequence and
its position, reuses the keys and values of the earlier steps (and the memory's) from a
cache, and returns the next token's logits; it equals :meth:`Transformer.decode` on the whole
prefix.

Differences from the paper: the source and target embeddings and the output projection are
separate matrices (the paper shares them across a joint vocabulary); decoding strategies
(greedy, beam search) live with the decoding lecture; :meth:`Transformer.step_function` hands
the model to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor, nn

from mllab.attention.masks import padding_mask
from mllab.config import require, require_int
from mllab.decoding.step import StepFn
from mllab.transformer.decoder_block import DecoderBlock, DecoderBlockCache
from mllab.transformer.encoder_block import EncoderBlock, check_block_sizes
from mllab.transformer.positional_encoding import POSITIONAL_ENCODINGS, positional_encoding

__all__ = ["Transformer", "TransformerConfig"]


@dataclass
class TransformerConfig:
    r"""Sizes of a :class:`Transformer`; the defaults are a small model for CPU experiments."""

    src_vocab: int
    r"""Number of source tokens :math:`V_{src}`; an integer >= 1."""

    tgt_vocab: int
    r"""Number of target tokens :math:`V`; an integer >= 1."""

    d_model: int = 64
    r"""Size :math:`d` of token vectors; a positive multiple of ``num_heads``."""

    num_heads: int = 4
    r"""Attention heads :math:`n_h`; an integer >= 1 dividing ``d_model``."""

    d_ff: int = 128
    r"""Hidden size of the feed-forward networks; an integer >= 1."""

    num_encoder_layers: int = 2
    r"""Encoder blocks :math:`N`; an integer >= 1."""

    num_decoder_layers: int = 2
    r"""Decoder blocks; an integer >= 1."""

    max_len: int = 256
    r"""Longest source or target sequence; an integer >= 1."""

    positional: str = "sinusoidal"
    r"""Positional encoding: ``"sinusoidal"``, ``"learned"`` or ``"none"``."""

    norm_first: bool = False
    r"""Pre-LN blocks (arXiv:2002.04745) instead of the paper's post-LN."""

    dropout: float = 0.0
    r"""Dropout probability in training mode; a float in [0, 1)."""

    activation: str = "relu"
    r"""Feed-forward activation: ``"relu"`` or ``"gelu"``."""

    def __post_init__(self) -> None:
        for name in ("src_vocab", "tgt_vocab", "num_encoder_layers", "num_decoder_layers",
                     "max_len"):
            require_int(name, getattr(self, name), 1)
        check_block_sizes(self.d_model, self.num_heads, self.d_ff, self.dropout,
                          self.activation)
        require(self.d_model % self.num_heads == 0, "num_heads",
                f"a divisor of d_model = {self.d_model}", self.num_heads)
        require(self.positional in POSITIONAL_ENCODINGS, "positional",
                f"one of {', '.join(map(repr, POSITIONAL_ENCODINGS))}", self.positional)
        require(isinstance(self.norm_first, bool), "norm_first", "a bool", self.norm_first)


class Transformer(nn.Module):
    r"""Encoder-decoder Transformer with an output projection to the target vocabulary."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        c = self.config = config
        block = {"dropout": c.dropout, "norm_first": c.norm_first, "activation": c.activation}
        self.src_embedding = nn.Embedding(c.src_vocab, c.d_model)
        self.tgt_embedding = nn.Embedding(c.tgt_vocab, c.d_model)
        self.positional = positional_encoding(c.positional, c.d_model, c.max_len)
        self.dropout = nn.Dropout(c.dropout)
        self.encoder = nn.ModuleList(EncoderBlock(c.d_model, c.num_heads, c.d_ff, **block)
                                     for _ in range(c.num_encoder_layers))
        self.decoder = nn.ModuleList(DecoderBlock(c.d_model, c.num_heads, c.d_ff, **block)
                                     for _ in range(c.num_decoder_layers))
        final = nn.LayerNorm if c.norm_first else nn.Identity
        self.encoder_norm, self.decoder_norm = final(c.d_model), final(c.d_model)
        self.output = nn.Linear(c.d_model, c.tgt_vocab)

    def _embed(self, embedding: nn.Embedding, tokens: Tensor, offset: int = 0) -> Tensor:
        x = embedding(tokens) * math.sqrt(self.config.d_model)  # (B, T, d): E[x] sqrt(d)
        return self.dropout(self.positional(x, offset))  # (B, T, d)

    @staticmethod
    def source_mask(src_lengths: Tensor | None, S: int) -> Tensor | None:
        r"""The source's padding mask ``(B, 1, 1, S)`` (True = real token), or ``None``."""
        return None if src_lengths is None else padding_mask(src_lengths, S)

    def encode(self, src: Tensor, src_lengths: Tensor | None = None) -> Tensor:
        r"""The memory ``(B, S, d)`` of source tokens ``src`` ``(B, S)``.

        Args:
            src: Source token ids, shape ``(B, S)``, padded at the end.
            src_lengths: Real lengths ``(B,)``; padding is hidden from attention. ``None``:
                no padding.
        """
        mask = self.source_mask(src_lengths, src.shape[1])
        x = self._embed(self.src_embedding, src)  # (B, S, d)
        for block in self.encoder:
            x = block(x, mask)
        return self.encoder_norm(x)

    def decode(self, tgt: Tensor, memory: Tensor, src_lengths: Tensor | None = None) -> Tensor:
        r"""Next-token logits ``(B, T, V)`` for every prefix of ``tgt`` ``(B, T)`` (causal).

        Args:
            tgt: Decoder input ids (BEGIN then the target shifted right), shape ``(B, T)``.
            memory: Encoder output, shape ``(B, S, d)``.
            src_lengths: The source's real lengths ``(B,)`` (``None``: no padding).
        """
        memory_mask = self.source_mask(src_lengths, memory.shape[1])
        y = self._embed(self.tgt_embedding, tgt)  # (B, T, d)
        for block in self.decoder:
            y = block(y, memory, memory_mask=memory_mask, is_causal=True)
        return self.output(self.decoder_norm(y))  # (B, T, V)

    def forward(self, src: Tensor, tgt: Tensor, src_lengths: Tensor | None = None) -> Tensor:
        r"""Teacher-forced logits ``(B, T, V)``: :meth:`decode` of :meth:`encode`."""
        return self.decode(tgt, self.encode(src, src_lengths), src_lengths)

    def new_cache(self) -> list[DecoderBlockCache]:
        r"""An empty cache for :meth:`decode_step`, one entry per decoder block."""
        return [DecoderBlockCache() for _ in self.decoder]

    def decode_step(self, token: Tensor, memory: Tensor, cache: list[DecoderBlockCache],
                    position: int, src_lengths: Tensor | None = None) -> Tensor:
        r"""Logits ``(B, V)`` of the token after ``token`` ``(B,)``, which sits at ``position``.

        Args:
            token: The latest decoder input id of each sequence, shape ``(B,)``.
            memory: Encoder output, shape ``(B, S, d)``.
            cache: From :meth:`new_cache`, holding positions ``0 .. position - 1``; updated.
            position: Position of ``token`` (0 for BEGIN); must equal the cached length.
            src_lengths: The source's real lengths ``(B,)`` (``None``: no padding).
        """
        cached = cache[0].self_attn.length
        require(position == cached, "position", f"the number of cached steps ({cached})",
                position)
        memory_mask = self.source_mask(src_lengths, memory.shape[1])
        y = self._embed(self.tgt_embedding, token[:, None], offset=position)  # (B, 1, d)
        for block, block_cache in zip(self.decoder, cache, strict=True):
            y = block(y, memory, memory_mask=memory_mask, is_causal=True, cache=block_cache)
        return self.output(self.decoder_norm(y))[:, 0]  # (B, V)

    def step_function(self, src: Tensor,
                      src_lengths: Tensor | None = None) -> tuple[StepFn, dict]:
        r"""Encode ``src`` ``(B, S)`` once and hand the decoder to ``mllab.decoding`` (greedy,
        beam search, sampling) as an incremental step function.

        Returns:
            ``(step_fn, init_state)``: ``step_fn(tokens (N, t), state) -> (logits (N, V),
            state)`` feeds the tokens not yet in the cache through :meth:`decode_step` (BOS at
            the first call, or every token of a longer prompt); the state holds the memory, the
            source lengths and the cache, all batch-first, so the default ``reorder_state``
            moves beam hypotheses between rows.
        """
        init_state = {"memory": self.encode(src, src_lengths), "src_lengths": src_lengths,
                      "cache": self.new_cache()}

        def step_fn(tokens: Tensor, state: dict) -> tuple[Tensor, dict]:
            memory, lengths, cache = state["memory"], state["src_lengths"], state["cache"]
            for position in range(cache[0].self_attn.length, tokens.shape[1]):
                logits = self.decode_step(tokens[:, position], memory, cache, position, lengths)
            return logits, state

        return step_fn, init_state

