r"""SYNTHETIC 2-D mixtures of Gaussians for mode collapse: a ring and a grid.

The standard test beds of mode collapse (Metz et al., Unrolled GAN, arXiv:1611.02163;
Srivastava et al., VEEGAN, arXiv:1705.07761; Lin et al., PacGAN, arXiv:1712.04086): equal
mixtures of isotropic Gaussians with small :math:`\sigma`,

.. math:: P_{data} = \frac1K \sum_{k=1}^K \mathcal{N}(\mu_k, \sigma^2 I),

with the means :math:`\mu_k` on a ring (8 modes, radius 2, :math:`\sigma = 0.02` in VEEGAN)
or on a grid (5×5 at :math:`\{-4, -2, 0, 2, 4\}^2`, :math:`\sigma = 0.05`). A generator that
collapses puts its samples on few of the modes; :mod:`mllab.gan.mode_coverage` counts them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int

__all__ = ["grid_centers", "ring_centers", "sample_mixture"]


def ring_centers(modes: int = 8, radius: float = 2.0) -> Tensor:
    r""":math:`\mu_k = r(\cos 2\pi k/K, \sin 2\pi k/K)`, ``(K, 2)`` float64."""
    require_int("modes", modes, 1)
    angle = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)  # (K, 2)


def grid_centers(side: int = 5, spacing: float = 2.0) -> Tensor:
    r"""A ``side`` × ``side`` grid centred at the origin, ``spacing`` apart, ``(side², 2)``
    float64 (row by row)."""
    require_int("side", side, 1)
    ticks = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    a, b = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([a.flatten(), b.flatten()], dim=1)  # (side², 2)


def sample_mixture(centers: Tensor, n: int, sigma: float, *, generator: torch.Generator,
                   dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    r"""``n`` draws of the equal mixture: ``(x (n, 2), component (n,))``, the component
    :math:`k` uniform, then :math:`x = \mu_k + \sigma \varepsilon`."""
    require_int("n", n, 0)
    require(is_real(sigma) and sigma > 0, "sigma", "a number > 0", sigma)
    k = torch.randint(len(centers), (n,), generator=generator)
    noise = torch.randn(n, centers.shape[1], generator=generator, dtype=torch.float64)
    return (centers.double()[k] + sigma * noise).to(dtype), k
