r"""A denoiser :math:`\epsilon_\theta(x_t, t)` for low-dimensional data (2-D point clouds).

An MLP whose every hidden layer receives the step's embedding
(:class:`~mllab.diffusion.time_embedding.TimeEmbedding`) added to its input:

.. math:: h_0 = W_{in} x_t, \qquad h_{l} = \phi\big(W_l (h_{l-1} + \mathrm{emb}(t))\big),
    \qquad \epsilon_\theta = W_{out}\, h_L

Differences from the paper: the paper's denoiser is a U-Net for images; for 2-D data an MLP
with the same time conditioning is the usual stand-in.
"""

from __future__ import annotations

from torch import Tensor, nn

from mllab.config import require_int
from mllab.diffusion.time_embedding import TimeEmbedding

__all__ = ["MLPDenoiser"]


class MLPDenoiser(nn.Module):
    r""":math:`\epsilon_\theta(x_t, t)` for ``x_t`` ``(B, dim)``, ``t`` ``(B,)`` in ``0..T-1``."""

    def __init__(self, dim: int = 2, T: int = 1000, width: int = 128, depth: int = 3) -> None:
        super().__init__()
        require_int("dim", dim, 1)
        require_int("width", width, 2)
        require_int("depth", depth, 1)
        self.embed = TimeEmbedding(T, width)
        self.inp = nn.Linear(dim, width)
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.act = nn.SiLU()
        self.out = nn.Linear(width, dim)

    def forward(self, xt: Tensor, t: Tensor) -> Tensor:
        emb = self.embed(t)  # (B, width)
        h = self.inp(xt)  # (B, width)
        for layer in self.hidden:
            h = self.act(layer(h + emb))
        return self.out(h)  # (B, dim)
