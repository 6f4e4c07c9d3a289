r"""BERT: a Transformer encoder pre-trained by filling blanks, the self-supervised lecture.

Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", arXiv:1810.04805, §3 and Fig. 2. The input is ``[CLS] A [SEP] B [SEP]``; every
token's vector is the sum of three embeddings, normalised, then N post-LN encoder blocks
(``mllab.transformer.EncoderBlock`` with the exact GELU) give one contextual vector per token:

.. math::
    h^{(0)}_t = \mathrm{LN}\big(E_{tok}[x_t] + E_{pos}[t] + E_{seg}[s_t]\big), \qquad
    h^{(l)} = \mathrm{EncoderBlock}(h^{(l-1)}), \qquad
    \mathrm{pooled} = \tanh\big(W_p\, h^{(N)}_{[CLS]} + b_p\big)

The pooled ``[CLS]`` vector feeds next-sentence prediction and the sequence-level heads
(``mllab.pretraining.bert_heads``); the per-token vectors feed the masked-LM, token-labelling and
extractive-QA heads.

Differences from the paper: layer normalization uses :math:`\epsilon = 10^{-5}` (PyTorch's
default; BERT's checkpoints use :math:`10^{-12}`); dropout draws from PyTorch's global generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.attention.masks import padding_mask
from mllab.config import require, require_int
from mllab.transformer.encoder_block import EncoderBlock, check_block_sizes

__all__ = ["Bert", "BertConfig"]


@dataclass
class BertConfig:
    r"""Sizes of a :class:`Bert`; the defaults are a small model for CPU experiments."""

    vocab: int
    r"""Number of tokens, special tokens included; an integer >= 1."""

    d_model: int = 64
    r"""Size :math:`d` of token vectors (BERT-base: 768); a positive multiple of ``num_heads``."""

    num_heads: int = 4
    r"""Attention heads; an integer >= 1 dividing ``d_model``."""

    d_ff: int = 256
    r"""Hidden size of the feed-forward networks (BERT: 4d); an integer >= 1."""

    num_layers: int = 2
    r"""Encoder blocks :math:`N` (BERT-base: 12); an integer >= 1."""

    max_len: int = 128
    r"""Longest input, ``[CLS]`` and ``[SEP]`` included; an integer >= 1."""

    segments: int = 2
    r"""Segment ids (A and B); an integer >= 1."""

    dropout: float = 0.0
    r"""Dropout probability in training mode (BERT: 0.1); a float in [0, 1)."""

    def __post_init__(self) -> None:
        for name in ("vocab", "num_layers", "max_len", "segments"):
            require_int(name, getattr(self, name), 1)
        check_block_sizes(self.d_model, self.num_heads, self.d_ff, self.dropout, "gelu")
        require(self.d_model % self.num_heads == 0, "num_heads",
                f"a divisor of d_model = {self.d_model}", self.num_heads)


class Bert(nn.Module):
    r"""Token, position and segment embeddings, N encoder blocks, and the ``[CLS]`` pooler."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        c = self.config = config
        self.token_embedding = nn.Embedding(c.vocab, c.d_model)  # E_tok
        self.position_embedding = nn.Embedding(c.max_len, c.d_model)  # E_pos
        self.segment_embedding = nn.Embedding(c.segments, c.d_model)  # E_seg
        self.embedding_norm = nn.LayerNorm(c.d_model)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(c.d_model, c.num_heads, c.d_ff, dropout=c.dropout, activation="gelu")
            for _ in range(c.num_layers))
        self.pooler = nn.Linear(c.d_model, c.d_model)  # W_p, b_p

    def forward(self, tokens: Tensor, segments: Tensor | None = None,
                lengths: Tensor | None = None) -> Tensor:
        r"""Contextual vectors ``(B, T, d)`` of ``tokens`` ``(B, T)``.

        Args:
            tokens: Token ids, ``[CLS]`` first, padded at the end.
            segments: Segment id of each token ``(B, T)`` (0 for A, 1 for B); ``None``: all 0.
            lengths: Real lengths ``(B,)``; padding is hidden from attention. ``None``: none.
        """
        B, T = tokens.shape
        require(T <= self.config.max_len, "tokens", f"at most max_len = {self.config.max_len} "
                "positions", T)
        if segments is None:
            segments = torch.zeros_like(tokens)
        positions = torch.arange(T, device=tokens.device)
        h = (self.token_embedding(tokens) + self.position_embedding(positions)
             + self.segment_embedding(segments))  # (B, T, d)
        h = self.dropout(self.embedding_norm(h))
        mask = None if lengths is None else padding_mask(lengths.to(tokens.device), T)
        for block in self.blocks:
            h = block(h, mask)
        return h

    def pool(self, h: Tensor) -> Tensor:
        r"""The pooled ``[CLS]`` vector :math:`\tanh(W_p h_0 + b_p)`, ``(B, d)``, of ``h``
        ``(B, T, d)``."""
        return torch.tanh(self.pooler(h[:, 0]))
