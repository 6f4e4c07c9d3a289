r"""The non-autoregressive Transformer (NAT): a length predictor and one parallel decoder pass.

Gu et al., "Non-Autoregressive Neural Machine Translation", arXiv:1711.02281; the Transformer
lecture's "AT vs NAT". The autoregressive decoder (:mod:`mllab.transformer.encoder_decoder`)
produces :math:`T` tokens in :math:`T` sequential steps, each reading the previous outputs.
The NAT decides the length first and then predicts every position at once:

.. math::
    p(y \mid x) = p_L(T \mid x) \prod_{t=1}^{T} p(y_t \mid x, T)

1. the **encoder** turns the source into the memory :math:`m` (as in the Transformer);
2. a **length predictor** classifies the target length :math:`T \in \{1, \dots, L\}` from the
   mean-pooled memory, :math:`p_L(\cdot \mid x) = \mathrm{softmax}(W_L \bar m + b_L)`,
   :math:`\bar m = \frac{1}{S}\sum_{s<S} m_s` over the source's real tokens;
3. the **decoder's input** is not the previous outputs (there are none yet) but, for every
   target position, either a copy of a source embedding (*uniform copy*, §3.1,
   :func:`uniform_copy_index`) or a positional query alone;
4. decoder blocks **without the causal mask** (every position sees every other, the padding
   after :math:`T` hidden) and with cross-attention to the memory give all :math:`T`
   distributions :math:`p(y_t \mid x, T)` in one pass.

The positions are conditionally independent given :math:`x` and :math:`T`: when a source has
several valid translations, nothing ties position :math:`t` to the translation chosen at
position :math:`t' \ne t`, so the argmax per position can mix them (the *multi-modality
problem*, §2.2).

Training (:func:`nat_loss`) uses the true length: the token cross-entropy given :math:`T` plus
the length cross-entropy.

Differences from the paper: Gu et al. predict a *fertility* per source token (how many target
tokens it becomes) and copy source embeddings accordingly; here, as in Lee et al.
(arXiv:1802.06901), one classifier over absolute target lengths ``1 .. max_len`` reads the
mean-pooled memory, and the copy is the paper's uniform copy. There is no knowledge
distillation from an AT teacher (§3.2) and no fine-tuning loss (§4.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.attention.masks import padding_mask
from mllab.config import require, require_int
from mllab.transformer.decoder_block import DecoderBlock
from mllab.transformer.encoder_block import EncoderBlock, check_block_sizes
from mllab.transformer.positional_encoding import POSITIONAL_ENCODINGS, positional_encoding

__all__ = ["DECODER_INPUTS", "NonAutoregressiveTransformer", "NATConfig", "length_loss",
           "nat_loss", "token_loss", "uniform_copy_index"]

DECODER_INPUTS = ("copy", "position")
r"""What the NAT decoder reads at each target position: a uniform copy of a source embedding,
or its positional encoding alone."""


@dataclass
class NATConfig:
    r"""Sizes of a :class:`NonAutoregressiveTransformer`; small defaults for CPU experiments."""

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
    r"""Encoder blocks; an integer >= 1."""

    num_decoder_layers: int = 2
    r"""Decoder blocks (no causal mask); an integer >= 1."""

    max_len: int = 64
    r"""Longest source and target :math:`L`; the length predictor's classes are ``1 .. L``."""

    decoder_input: str = "copy"
    r"""``"copy"`` (uniform copy of source embeddings, §3.1) or ``"position"`` (positional
    queries alone; needs a positional encoding)."""

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
        require(self.decoder_input in DECODER_INPUTS, "decoder_input",
                f"one of {', '.join(map(repr, DECODER_INPUTS))}", self.decoder_input)
        require(self.decoder_input != "position" or self.positional != "none", "positional",
                "'sinusoidal' or 'learned' with decoder_input='position' (else every "
                "decoder input is the same)", self.positional)
        require(isinstance(self.norm_first, bool), "norm_first", "a bool", self.norm_first)


def uniform_copy_index(src_lengths: Tensor, tgt_lengths: Tensor, T: int) -> Tensor:
    r"""Which source position each target position copies (uniform copy, arXiv:1711.02281 §3.1).

    .. math:: i_t = \left\lfloor \frac{t\, S}{T_y} \right\rfloor, \qquad t = 0, \dots, T_y - 1

    for a source of :math:`S` real tokens and a target of length :math:`T_y` (0-based; the
    paper writes :math:`\mathrm{Round}(T_x t / T_y)` 1-based, which can point to position 0 or
    past the end; the floor stays in :math:`0 .. S-1` and spreads the copies evenly).
    Positions :math:`t \ge T_y` (padding) copy position 0.

    Args:
        src_lengths: Real source lengths :math:`S_b`, shape ``(B,)``, each >= 1.
        tgt_lengths: Target lengths :math:`T_{y,b}`, shape ``(B,)``, each >= 1.
        T: Padded target length (>= every :math:`T_{y,b}`).

    Returns:
        LongTensor ``(B, T)`` of source positions.
    """
    t = torch.arange(T, device=src_lengths.device)[None, :]  # (1, T)
    i = torch.div(t * src_lengths[:, None], tgt_lengths[:, None], rounding_mode="floor")
    return torch.where(t < tgt_lengths[:, None], i, torch.zeros_like(i))  # (B, T)


def token_loss(logits: Tensor, tgt: Tensor, tgt_lengths: Tensor) -> Tensor:
    r"""Mean token cross-entropy given the true length, over the real target positions.

    .. math:: \mathcal L_{tok} = -\frac{1}{\sum_b T_b} \sum_b \sum_{t<T_b}
        \log p(y_{b,t} \mid x_b, T_b)

    Args:
        logits: Decoder logits ``(B, T, V)``.
        tgt: Target ids ``(B, T)`` (anything after each length is ignored).
        tgt_lengths: True lengths :math:`T_b`, shape ``(B,)``.
    """
    B, T, V = logits.shape
    real = torch.arange(T, device=tgt.device)[None, :] < tgt_lengths[:, None]  # (B, T)
    nll = F.cross_entropy(logits.reshape(B * T, V), tgt.reshape(B * T),
                          reduction="none").view(B, T)  # (B, T)
    return (nll * real).sum() / real.sum()


def length_loss(length_logits: Tensor, tgt_lengths: Tensor) -> Tensor:
    r"""Mean length cross-entropy :math:`\mathcal L_{len} = -\frac1B \sum_b \log p_L(T_b \mid
    x_b)`; class :math:`k` of ``length_logits`` ``(B, L)`` is length :math:`k + 1`."""
    return F.cross_entropy(length_logits, tgt_lengths - 1)


def nat_loss(logits: Tensor, tgt: Tensor, tgt_lengths: Tensor, length_logits: Tensor,
             length_weight: float = 1.0) -> Tensor:
    r"""The NAT's training loss: token cross-entropy given the true length plus the length
    cross-entropy,

    .. math:: \mathcal L = -\frac{1}{\sum_b T_b} \sum_b \sum_{t<T_b}
        \log p(y_{b,t} \mid x_b, T_b) \;-\; \frac{\lambda}{B} \sum_b \log p_L(T_b \mid x_b)

    (:func:`token_loss` + :math:`\lambda` :func:`length_loss`, :math:`\lambda` =
    ``length_weight``).
    """
    return token_loss(logits, tgt, tgt_lengths) + length_weight * length_loss(length_logits,
                                                                              tgt_lengths)


class NonAutoregressiveTransformer(nn.Module):
    r"""Encoder, length predictor and a decoder without causal mask (:class:`NATConfig`)."""

    def __init__(self, config: NATConfig) -> None:
        super().__init__()
        c = self.config = config
        block = {"dropout": c.dropout, "norm_first": c.norm_first, "activation": c.activation}
        self.src_embedding = nn.Embedding(c.src_vocab, c.d_model)
        self.positional = positional_encoding(c.positional, c.d_model, c.max_len)
        self.dropout = nn.Dropout(c.dropout)
        self.encoder = nn.ModuleList(EncoderBlock(c.d_model, c.num_heads, c.d_ff, **block)
                                     for _ in range(c.num_encoder_layers))
        self.decoder = nn.ModuleList(DecoderBlock(c.d_model, c.num_heads, c.d_ff, **block)
                                     for _ in range(c.num_decoder_layers))
        final = nn.LayerNorm if c.norm_first else nn.Identity
        self.encoder_norm, self.decoder_norm = final(c.d_model), final(c.d_model)
        self.length_predictor = nn.Linear(c.d_model, c.max_len)
        self.output = nn.Linear(c.d_model, c.tgt_vocab)

    def _lengths(self, src: Tensor, src_lengths: Tensor | None) -> Tensor:
        B, S = src.shape
        return torch.full((B,), S, device=src.device) if src_lengths is None else src_lengths

    def source_embedding(self, src: Tensor) -> Tensor:
        r""":math:`\sqrt d\, E_{src}[x]`, shape ``(B, S, d)``, before positions are added."""
        return self.src_embedding(src) * math.sqrt(self.config.d_model)  # (B, S, d)

    def encode(self, src: Tensor, src_lengths: Tensor | None = None) -> Tensor:
        r"""The memory ``(B, S, d)`` of source tokens ``src`` ``(B, S)`` (padding hidden)."""
        mask = None if src_lengths is None else padding_mask(src_lengths, src.shape[1])
        x = self.dropout(self.positional(self.source_embedding(src)))  # (B, S, d)
        for block in self.encoder:
            x = block(x, mask)
        return self.encoder_norm(x)

    def predict_length(self, memory: Tensor, src_lengths: Tensor | None = None) -> Tensor:
        r"""Length logits ``(B, L)`` from the mean-pooled memory; class :math:`k` is length
        :math:`k+1`.

        .. math:: p_L(\cdot \mid x) = \mathrm{softmax}\Big(W_L \frac{1}{S}\sum_{s<S} m_s
            + b_L\Big)
        """
        B, S, _ = memory.shape
        lengths = torch.full((B,), S, device=memory.device) if src_lengths is None \
            else src_lengths
        real = (torch.arange(S, device=memory.device)[None, :] < lengths[:, None])  # (B, S)
        m_bar = (memory * real[..., None]).sum(1) / lengths[:, None]  # (B, d)
        return self.length_predictor(m_bar)  # (B, L)

    def decoder_inputs(self, src: Tensor, tgt_lengths: Tensor, T: int,
                       src_lengths: Tensor | None = None) -> Tensor:
        r"""The decoder's input ``(B, T, d)``: per target position, the uniformly copied source
        embedding (``"copy"``) or nothing (``"position"``), plus the positional encoding."""
        B, _, d = src.shape[0], src.shape[1], self.config.d_model
        if self.config.decoder_input == "copy":
            index = uniform_copy_index(self._lengths(src, src_lengths), tgt_lengths, T)
            e = self.source_embedding(src)  # (B, S, d)
            z = e.gather(1, index[..., None].expand(B, T, d))  # (B, T, d): e_{i_t}
        else:
            z = torch.zeros(B, T, d, device=src.device, dtype=self.src_embedding.weight.dtype)
        return self.dropout(self.positional(z))  # (B, T, d)

    def decode(self, z: Tensor, memory: Tensor, tgt_lengths: Tensor,
               src_lengths: Tensor | None = None) -> Tensor:
        r"""Logits ``(B, T, V)`` of every target position at once from decoder inputs ``z``
        ``(B, T, d)``: self-attention without causal mask (positions after each length
        hidden as keys) and cross-attention to the memory."""
        tgt_mask = padding_mask(tgt_lengths, z.shape[1])
        memory_mask = None if src_lengths is None else padding_mask(src_lengths,
                                                                    memory.shape[1])
        y = z
        for block in self.decoder:
            y = block(y, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, is_causal=False)
        return self.output(self.decoder_norm(y))  # (B, T, V)

    def forward(self, src: Tensor, tgt_lengths: Tensor, src_lengths: Tensor | None = None,
                T: int | None = None) -> tuple[Tensor, Tensor]:
        r"""Token logits ``(B, T, V)`` given the target lengths, and length logits ``(B, L)``.

        Args:
            src: Source ids ``(B, S)``, padded at the end.
            tgt_lengths: Target lengths ``(B,)`` (the true ones in training), each in
                ``1 .. max_len``.
            src_lengths: Real source lengths ``(B,)``; ``None``: no padding.
            T: Padded target length (default ``max(tgt_lengths)``).
        """
        require(bool((tgt_lengths >= 1).all() and (tgt_lengths <= self.config.max_len).all()),
                "tgt_lengths", f"integers in 1 .. {self.config.max_len}", tgt_lengths.tolist())
        T = int(tgt_lengths.max()) if T is None else T
        memory = self.encode(src, src_lengths)
        z = self.decoder_inputs(src, tgt_lengths, T, src_lengths)
        return (self.decode(z, memory, tgt_lengths, src_lengths),
                self.predict_length(memory, src_lengths))
