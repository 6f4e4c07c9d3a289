r"""A Transformer encoder with a classifier on top: the Self-attention lecture's sequence labelling
(a label per token) and sequence classification (one label per sequence).

The lecture's uses of self-attention before the full Transformer: a sequence of vectors in
(tokens, or patches of an image), self-attention layers, and either a class for every position
or one class for the whole sequence:

.. math::
    h^{(0)} = E[x] + PE, \qquad h^{(l)} = \mathrm{EncoderBlock}(h^{(l-1)}), \qquad
    z_t = W h^{(N)}_t + b \quad \text{or} \quad z = W\,\tfrac{1}{L}\sum_{t<L} h^{(N)}_t + b

``E`` is ``nn.Embedding`` for token ids or ``nn.Linear`` for feature vectors (``in_features``).
With ``window = w`` every block's attention is *truncated*: token :math:`t` sees only tokens
:math:`t - w .. t + w` (``mllab.attention.window_mask``), as for speech, so after N blocks a
token depends only on the :math:`2wN + 1` tokens around it.

Differences from the Transformer: token embeddings are not multiplied by :math:`\sqrt{d}`
(the embedding's N(0, 1) entries and the encoding are added as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from mllab.attention.masks import combine, padding_mask, window_mask
from mllab.config import require, require_int
from mllab.transformer.encoder_block import EncoderBlock, check_block_sizes
from mllab.transformer.positional_encoding import POSITIONAL_ENCODINGS, positional_encoding

__all__ = ["POOLINGS", "EncoderClassifier", "EncoderClassifierConfig"]

POOLINGS = ("none", "mean")
r"""``"none"``: a class per token; ``"mean"``: one class per sequence from the mean vector."""


@dataclass
class EncoderClassifierConfig:
    r"""Sizes of an :class:`EncoderClassifier`; give exactly one of ``vocab``, ``in_features``."""

    num_classes: int
    r"""Classes :math:`C`; an integer >= 1."""

    vocab: int | None = None
    r"""Token ids in ``[0, vocab)`` as input (an integer >= 1), or ``None``."""

    in_features: int | None = None
    r"""Feature vectors of this size as input (an integer >= 1), or ``None``."""

    d_model: int = 32
    r"""Size :math:`d` of token vectors; a positive multiple of ``num_heads``."""

    num_heads: int = 2
    r"""Attention heads; an integer >= 1 dividing ``d_model``."""

    d_ff: int = 64
    r"""Hidden size of the feed-forward networks; an integer >= 1."""

    num_layers: int = 1
    r"""Encoder blocks :math:`N`; an integer >= 1."""

    max_len: int = 256
    r"""Longest sequence; an integer >= 1."""

    positional: str = "sinusoidal"
    r"""Positional encoding: ``"sinusoidal"``, ``"learned"`` or ``"none"``."""

    window: int | None = None
    r"""Truncated attention to tokens at most ``window`` away (an integer >= 0); ``None``: full."""

    pooling: str = "none"
    r"""``"none"`` (logits per token, ``(B, T, C)``) or ``"mean"`` (per sequence, ``(B, C)``)."""

    norm_first: bool = False
    r"""Pre-LN blocks (arXiv:2002.04745) instead of post-LN."""

    dropout: float = 0.0
    r"""Dropout probability in training mode; a float in [0, 1)."""

    def __post_init__(self) -> None:
        require_int("num_classes", self.num_classes, 1)
        require((self.vocab is None) != (self.in_features is None), "vocab",
                "exactly one of vocab and in_features given", (self.vocab, self.in_features))
        for name in ("vocab", "in_features"):
            if getattr(self, name) is not None:
                require_int(name, getattr(self, name), 1)
        require_int("num_layers", self.num_layers, 1)
        require_int("max_len", self.max_len, 1)
        check_block_sizes(self.d_model, self.num_heads, self.d_ff, self.dropout, "relu")
        require(self.d_model % self.num_heads == 0, "num_heads",
                f"a divisor of d_model = {self.d_model}", self.num_heads)
        require(self.positional in POSITIONAL_ENCODINGS, "positional",
                f"one of {', '.join(map(repr, POSITIONAL_ENCODINGS))}", self.positional)
        if self.window is not None:
            require_int("window", self.window, 0)
        require(self.pooling in POOLINGS, "pooling",
                f"one of {', '.join(map(repr, POOLINGS))}", self.pooling)


class EncoderClassifier(nn.Module):
    r"""Embedding, positional encoding, N encoder blocks, then a linear classifier."""

    def __init__(self, config: EncoderClassifierConfig) -> None:
        super().__init__()
        c = self.config = config
        self.embedding = (nn.Embedding(c.vocab, c.d_model) if c.vocab is not None
                          else nn.Linear(c.in_features, c.d_model))
        self.positional = positional_encoding(c.positional, c.d_model, c.max_len)
        self.blocks = nn.ModuleList(
            EncoderBlock(c.d_model, c.num_heads, c.d_ff, dropout=c.dropout,
                         norm_first=c.norm_first) for _ in range(c.num_layers))
        self.norm = nn.LayerNorm(c.d_model) if c.norm_first else nn.Identity()
        self.classifier = nn.Linear(c.d_model, c.num_classes)

    def mask(self, T: int, lengths: Tensor | None, device=None) -> Tensor | None:
        r"""The attention mask (True = may attend): padding and the truncation window."""
        window = (None if self.config.window is None
                  else window_mask(T, self.config.window, self.config.window, device=device))
        padding = None if lengths is None else padding_mask(lengths.to(device), T)
        return combine(padding, window)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        r"""Logits ``(B, T, C)`` per token, or ``(B, C)`` with mean pooling.

        Args:
            x: Token ids ``(B, T)``, or features ``(B, T, in_features)``.
            lengths: Real lengths ``(B,)`` of sequences padded at the end; ``None``: no padding.
        """
        h = self.positional(self.embedding(x))  # (B, T, d)
        T = h.shape[1]
        mask = self.mask(T, lengths, h.device)
        for block in self.blocks:
            h = block(h, mask)
        h = self.norm(h)
        if self.config.pooling == "mean":
            if lengths is None:
                h = h.mean(dim=1)  # (B, d)
            else:
                real = padding_mask(lengths.to(h.device), T)[:, 0, 0, :, None]  # (B, T, 1)
                h = (h * real).sum(dim=1) / lengths.to(h)[:, None]  # (B, d)
        return self.classifier(h)
