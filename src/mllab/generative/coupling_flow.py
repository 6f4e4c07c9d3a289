r"""A normalizing flow of affine coupling layers (RealNVP): exact log-likelihood.

Dinh, Sohl-Dickstein & Bengio, "Density estimation using Real NVP", arXiv:1605.08803, §3.
The image-generation lecture's flow-based family: an invertible :math:`f` maps data
:math:`x` to a code :math:`z = f(x)` with a simple density :math:`\pi(z) = \mathcal{N}(0, I)`,
and the change of variables gives the data's density exactly,

.. math:: \log p(x) = \log \pi(f(x)) + \log \left|\det \frac{\partial f(x)}{\partial x}\right|
    \qquad \text{(Eq. 3)}

The generator is :math:`G = f^{-1}`: sample :math:`z`, return :math:`f^{-1}(z)`. An **affine
coupling layer** (Eq. 4-6, with a binary mask :math:`b`) keeps part of the input and scales and
shifts the rest by functions of the kept part,

.. math:: y = b \odot x + (1 - b) \odot \big(x \odot \exp(s(b \odot x)) + t(b \odot x)\big),
    \qquad \log|\det J| = \textstyle\sum_j (1 - b_j)\, s(b \odot x)_j

so the Jacobian is triangular and its log-determinant a sum; the inverse is
:math:`x = b \odot y + (1 - b) \odot (y - t(b \odot y)) \odot \exp(-s(b \odot y))`.
Layers alternate the mask so every coordinate is transformed.

Differences from the paper: MLPs for :math:`s` and :math:`t` (the paper's are ResNets on
images), :math:`s` bounded by :math:`\tanh` times a learned per-coordinate scale for stability,
no batch normalisation or multi-scale squeezing.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from mllab.autoencoder.autoencoder import mlp_stack
from mllab.config import require, require_int

__all__ = ["AffineCoupling", "CouplingFlow", "alternating_masks"]


def alternating_masks(dim: int, layers: int) -> list[Tensor]:
    r"""Masks :math:`b` of the layers: the even coordinates kept in even layers, the odd ones in
    odd layers (a checkerboard over a vector)."""
    base = (torch.arange(dim) % 2 == 0).float()
    return [base if i % 2 == 0 else 1 - base for i in range(layers)]


class AffineCoupling(nn.Module):
    r"""One coupling layer with mask ``mask`` ``(C,)`` (1 = kept)."""

    def __init__(self, mask: Tensor, hidden: int = 64) -> None:
        super().__init__()
        dim = len(mask)
        require(bool(mask.any()) and not bool(mask.all()), "mask", "a mix of 0 and 1", mask)
        self.register_buffer("mask", mask.clone())
        self.net = mlp_stack([dim, hidden, hidden, 2 * dim], "relu")
        nn.init.zeros_(self.net[-1].weight)  # the identity at initialisation
        nn.init.zeros_(self.net[-1].bias)
        self.s_scale = nn.Parameter(torch.ones(dim))

    def _s_t(self, kept: Tensor) -> tuple[Tensor, Tensor]:
        s, t = self.net(kept).chunk(2, dim=-1)  # (B, C) each
        free = 1 - self.mask
        return self.s_scale * torch.tanh(s) * free, t * free

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        r"""``(y, log|det J|)``: Eq. 4-6, ``(B, C)`` and ``(B,)``."""
        kept = x * self.mask
        s, t = self._s_t(kept)
        y = kept + (1 - self.mask) * (x * torch.exp(s) + t)
        return y, s.sum(-1)

    def inverse(self, y: Tensor) -> Tensor:
        kept = y * self.mask
        s, t = self._s_t(kept)
        return kept + (1 - self.mask) * (y - t) * torch.exp(-s)


class CouplingFlow(nn.Module):
    r""":math:`f = f_L \circ \dots \circ f_1` of :class:`AffineCoupling` layers with alternating
    masks, and the base density :math:`\mathcal{N}(0, I)`."""

    def __init__(self, dim: int, layers: int = 6, hidden: int = 64) -> None:
        super().__init__()
        require_int("dim", dim, 2)
        require_int("layers", layers, 1)
        require_int("hidden", hidden, 1)
        self.dim = dim
        self.layers = nn.ModuleList(AffineCoupling(m, hidden)
                                    for m in alternating_masks(dim, layers))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        r"""``(z, log|det ∂f/∂x|)``: ``(B, C)`` and ``(B,)``."""
        log_det = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld  # log-determinants of a composition add up
        return x, log_det

    def inverse(self, z: Tensor) -> Tensor:
        r""":math:`f^{-1}(z)`: the layers inverted in reverse order."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def log_prob(self, x: Tensor) -> Tensor:
        r""":math:`\log p(x) = \log \mathcal{N}(f(x); 0, I) + \log|\det J|` (Eq. 3), ``(B,)``."""
        z, log_det = self(x)
        log_pi = -0.5 * (z.square().sum(-1) + self.dim * math.log(2 * math.pi))
        return log_pi + log_det

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator) -> Tensor:
        r""":math:`G(z) = f^{-1}(z)`, :math:`z \sim \mathcal{N}(0, I)` from ``generator``."""
        w = self.layers[0].s_scale
        z = torch.randn(n, self.dim, generator=generator, dtype=w.dtype, device=w.device)
        return self.inverse(z)
