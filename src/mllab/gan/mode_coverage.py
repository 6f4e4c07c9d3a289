r"""Mode collapse in numbers: modes covered and the share of high-quality samples on a 2-D
mixture of Gaussians (the VEEGAN/PacGAN protocol; Srivastava et al., arXiv:1705.07761, §5.1).

Each generated sample is assigned to its nearest mode :math:`\mu_k`; it is **high quality**
when it lies within ``within`` (3) standard deviations of it, :math:`\|x - \mu_k\| \le 3\sigma`.
A mode is **covered** when at least ``min_count`` high-quality samples belong to it (VEEGAN
counts a mode captured as soon as one does). A collapsed generator scores a high-quality share
near 1 with few modes covered; one that spreads its samples between the modes, the reverse.
Mode dropping (the lecture's harder-to-see failure) shows as covered modes below :math:`K` with
a high share.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int

__all__ = ["ModeCoverage", "mode_coverage"]


@dataclass(frozen=True)
class ModeCoverage:
    r"""What :func:`mode_coverage` measures."""

    modes_covered: int
    """Modes with at least ``min_count`` high-quality samples."""
    high_quality: float
    """Share of samples within ``within`` sigma of their nearest mode."""
    counts: tuple[int, ...]
    """High-quality samples per mode."""


def mode_coverage(samples: Tensor, centers: Tensor, sigma: float, *, within: float = 3.0,
                  min_count: int = 1) -> ModeCoverage:
    r"""Modes covered and high-quality share of ``samples`` ``(N, d)`` for the mixture of
    ``centers`` ``(K, d)`` with standard deviation ``sigma``."""
    require(is_real(sigma) and sigma > 0, "sigma", "a number > 0", sigma)
    require(is_real(within) and within > 0, "within", "a number > 0", within)
    require_int("min_count", min_count, 1)
    if len(samples) == 0:
        raise ValueError("mode_coverage needs at least one sample")
    d = torch.cdist(samples.double(), centers.double())  # (N, K)
    nearest, k = d.min(dim=1)  # (N,), (N,)
    good = nearest <= within * sigma
    counts = torch.bincount(k[good], minlength=len(centers))  # (K,)
    return ModeCoverage(modes_covered=int((counts >= min_count).sum()),
                        high_quality=float(good.double().mean()),
                        counts=tuple(int(c) for c in counts))
