r"""A small U-Net-like denoiser :math:`\epsilon_\theta(x_t, t)` for 8x8 images.

The shape of DDPM's denoiser (arXiv:2006.11239, Appendix B; Ronneberger et al.'s U-Net) at
the smallest scale that still has it: convolutional blocks that each add the step's embedding
to their feature maps, one downsampling (8x8 -> 4x4), a middle block, one upsampling back to
8x8, and a skip connection that concatenates the 8x8 features of the way down to the way up:

.. code-block:: text

    x_t (1, 8, 8) -> conv -> block(c) ---------------------------- skip --+
                               | conv stride 2                            |
                             block(2c) at 4x4 -> block(2c)                |
                               | transposed conv stride 2                 v
                             concat (2c, 8, 8) -> block(c) -> conv -> ε_θ (1, 8, 8)

A block is conv 3x3, GroupNorm, SiLU with :math:`W\,\mathrm{emb}(t)` added per channel.

Differences from the paper: two resolutions instead of four, one block per resolution, no
self-attention and no dropout: the digits are 8x8.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.diffusion.time_embedding import TimeEmbedding

__all__ = ["UNetDenoiser"]


class _Block(nn.Module):
    r"""conv 3x3 -> + W emb(t) per channel -> GroupNorm -> SiLU."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(emb_dim, c_out)
        self.norm = nn.GroupNorm(min(8, c_out), c_out)
        self.act = nn.SiLU()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv(x) + self.time(emb)[:, :, None, None]  # (B, c_out, H, W)
        return self.act(self.norm(h))


class UNetDenoiser(nn.Module):
    r""":math:`\epsilon_\theta(x_t, t)` for ``x_t`` ``(B, channels, H, W)`` (H, W even)."""

    def __init__(self, channels: int = 1, T: int = 1000, base: int = 32) -> None:
        super().__init__()
        require_int("channels", channels, 1)
        require_int("base", base, 8)
        require(base % 8 == 0, "base", "a multiple of 8", base)
        c, d = base, 4 * base
        self.embed = TimeEmbedding(T, d)
        self.inp = nn.Conv2d(channels, c, 3, padding=1)
        self.down_block = _Block(c, c, d)
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.mid1 = _Block(2 * c, 2 * c, d)
        self.mid2 = _Block(2 * c, 2 * c, d)
        self.up = nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1)
        self.up_block = _Block(2 * c, c, d)
        self.out = nn.Conv2d(c, channels, 3, padding=1)

    def forward(self, xt: Tensor, t: Tensor) -> Tensor:
        emb = self.embed(t)  # (B, 4c)
        skip = self.down_block(self.inp(xt), emb)  # (B, c, H, W)
        h = self.mid2(self.mid1(self.down(skip), emb), emb)  # (B, 2c, H/2, W/2)
        h = self.up(h)  # (B, c, H, W)
        h = self.up_block(torch.cat([h, skip], dim=1), emb)  # (B, 2c, H, W) -> (B, c, H, W)
        return self.out(h)  # (B, channels, H, W)
