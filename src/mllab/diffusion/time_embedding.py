r"""The step :math:`t` as a vector the denoiser can use: a sinusoidal embedding and an MLP.

DDPM (arXiv:2006.11239, Appendix B) gives the denoiser its step "using the Transformer
sinusoidal position embedding": :math:`t` is encoded like a position,
:math:`PE_{(t, 2i)} = \sin(t / 10000^{2i/d})`, :math:`PE_{(t, 2i+1)} = \cos(t / 10000^{2i/d})`
(:func:`mllab.transformer.positional_encoding.sinusoidal_table`), then passed through a
two-layer MLP (Linear, SiLU, Linear) as in the paper's U-Net.
"""

from __future__ import annotations

from torch import Tensor, nn

from mllab.config import require_int
from mllab.transformer.positional_encoding import sinusoidal_table

__all__ = ["TimeEmbedding"]


class TimeEmbedding(nn.Module):
    r"""``t`` ``(B,)`` in ``0..T-1`` to ``(B, dim)``: the sinusoidal table, then an MLP."""

    def __init__(self, T: int, dim: int) -> None:
        super().__init__()
        require_int("T", T, 1)
        require_int("dim", dim, 2)
        self.register_buffer("table", sinusoidal_table(T, dim), persistent=False)  # (T, d)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: Tensor) -> Tensor:
        return self.mlp(self.table[t].to(self.mlp[0].weight.dtype))  # (B, d)
