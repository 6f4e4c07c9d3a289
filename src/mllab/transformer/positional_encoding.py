r"""Positional encoding: telling self-attention where each token is, the Self-attention lecture.

Self-attention alone has no notion of position: permuting the tokens permutes the outputs
(a test of :mod:`mllab.attention.multi_head` checks it). The lecture adds a vector
:math:`e^i` to each input :math:`a^i`, either hand-crafted or learned from data.

- **Sinusoidal** (Vaswani et al., arXiv:1706.03762, §3.5), for position :math:`pos` and
  feature pair :math:`i`:

  .. math::
      PE_{(pos, 2i)} = \sin\big(pos / 10000^{2i/d}\big), \qquad
      PE_{(pos, 2i+1)} = \cos\big(pos / 10000^{2i/d}\big)

- **Learned**: :math:`e^{pos}` is row :math:`pos` of an ``nn.Embedding`` of ``max_len``
  positions, trained with the rest.
- **None**: the identity, for the experiments that show what positions are for.

Every module maps ``x`` ``(B, T, d)`` to ``x + e[offset : offset + T]``; ``offset`` is the
position of the first token, so that incremental decoding (one token at a time) adds the same
vectors as a full pass.

Differences from the paper: an odd ``d`` is allowed (its last column is a sine). The paper
applies dropout to the sum; :class:`mllab.transformer.encoder_decoder.Transformer` does that.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.config import require, require_int

__all__ = [
    "POSITIONAL_ENCODINGS",
    "LearnedPositionalEncoding",
    "NoPositionalEncoding",
    "SinusoidalPositionalEncoding",
    "positional_encoding",
    "sinusoidal_table",
]


def sinusoidal_table(max_len: int, d: int, *, base: float = 10000.0,
                     dtype: torch.dtype = torch.float32) -> Tensor:
    r"""The sinusoidal encodings of positions ``0 .. max_len - 1``, shape ``(max_len, d)``.

    .. math:: PE_{(pos, 2i)} = \sin(pos / 10000^{2i/d}), \quad
        PE_{(pos, 2i+1)} = \cos(pos / 10000^{2i/d})
    """
    require_int("max_len", max_len, 1)
    require_int("d", d, 1)
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (T, 1)
    two_i = torch.arange(0, d, 2, dtype=torch.float64)  # (ceil(d/2),)
    angle = pos / base ** (two_i / d)  # (T, ceil(d/2)): pos / 10000^{2i/d}
    pe = torch.empty(max_len, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)  # PE(pos, 2i)
    pe[:, 1::2] = torch.cos(angle[:, : d // 2])  # PE(pos, 2i+1)
    return pe.to(dtype)


def _check(x: Tensor, offset: int, d_model: int, max_len: int) -> None:
    if x.ndim != 3 or x.shape[-1] != d_model:
        raise ValueError(f"x must have shape (B, T, {d_model}), got {tuple(x.shape)}")
    require(isinstance(offset, int) and offset >= 0, "offset", "an integer >= 0", offset)
    if offset + x.shape[1] > max_len:
        raise ValueError(f"positions up to {offset + x.shape[1] - 1} need max_len > "
                         f"{offset + x.shape[1] - 1}, got max_len = {max_len}")


class SinusoidalPositionalEncoding(nn.Module):
    r"""Adds the fixed sinusoidal encodings of :func:`sinusoidal_table` (no parameters).

    Args:
        d_model: Size :math:`d` of a token vector.
        max_len: Number of positions tabulated.
    """

    def __init__(self, d_model: int, max_len: int = 512) -> None:
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", sinusoidal_table(max_len, d_model), persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        r"""``x + PE[offset : offset + T]`` for ``x`` of shape ``(B, T, d)``."""
        _check(x, offset, self.d_model, self.max_len)
        return x + self.pe[offset : offset + x.shape[1]].to(x.dtype)  # (B, T, d)


class LearnedPositionalEncoding(nn.Module):
    r"""Adds learned position vectors :math:`e^{pos}`, rows of an ``nn.Embedding``.

    Args:
        d_model: Size :math:`d` of a token vector.
        max_len: Number of positions that have a vector.
    """

    def __init__(self, d_model: int, max_len: int = 512) -> None:
        super().__init__()
        require_int("d_model", d_model, 1)
        require_int("max_len", max_len, 1)
        self.d_model, self.max_len = d_model, max_len
        self.embedding = nn.Embedding(max_len, d_model)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        r"""``x + E[offset : offset + T]`` for ``x`` of shape ``(B, T, d)``."""
        _check(x, offset, self.d_model, self.max_len)
        pos = torch.arange(offset, offset + x.shape[1], device=x.device)
        return x + self.embedding(pos)  # (B, T, d)


class NoPositionalEncoding(nn.Module):
    r"""No positions: returns ``x`` unchanged (self-attention then ignores the order)."""

    def __init__(self, d_model: int, max_len: int = 512) -> None:
        super().__init__()
        self.d_model, self.max_len = d_model, max_len

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        r"""``x`` itself, shape ``(B, T, d)``."""
        _check(x, offset, self.d_model, self.max_len)
        return x


POSITIONAL_ENCODINGS: dict[str, type[nn.Module]] = {
    "sinusoidal": SinusoidalPositionalEncoding,
    "learned": LearnedPositionalEncoding,
    "none": NoPositionalEncoding,
}
r"""Positional encoding modules by name."""


def positional_encoding(kind: str, d_model: int, max_len: int) -> nn.Module:
    r"""The positional encoding named ``kind`` (a key of :data:`POSITIONAL_ENCODINGS`)."""
    require(kind in POSITIONAL_ENCODINGS, "positional",
            f"one of {', '.join(map(repr, POSITIONAL_ENCODINGS))}", kind)
    return POSITIONAL_ENCODINGS[kind](d_model, max_len)
