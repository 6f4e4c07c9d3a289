r"""The Wasserstein-1 (earth mover's) distance where it has a closed form.

The lecture: "the average smallest amount of moving that turns P into Q",

.. math:: W_1(P, Q) = \inf_{\gamma \in \Pi(P, Q)} \mathbb{E}_{(x, y) \sim \gamma} \|x - y\|,

over couplings :math:`\gamma` with marginals :math:`P` and :math:`Q`. Unlike the JS divergence
it keeps shrinking as two disjoint distributions approach: a point mass at 0 and one at
:math:`\theta` are :math:`|\theta|` apart (the WGAN paper's Example 1, where JS is
:math:`\log 2` for every :math:`\theta \ne 0`).

In one dimension the optimal coupling matches quantiles, so

.. math:: W_1(P, Q) = \int_{-\infty}^{\infty} |F_P(t) - F_Q(t)|\, dt

with :math:`F` the cumulative distribution functions; for two empirical distributions it is a
finite sum over the sorted pooled samples (:func:`wasserstein_1d`, which
``scipy.stats.wasserstein_distance`` also computes). For two Gaussians the squared
Wasserstein-2 distance has the closed form of :func:`mllab.metrics.frechet_distance` (FID).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["wasserstein_1d"]


def _cdf(sorted_samples: Tensor, weights: Tensor, at: Tensor) -> Tensor:
    r""":math:`F(t) = \sum_{x_i \le t} w_i` at each point of ``at``."""
    cumulative = torch.cat([weights.new_zeros(1), weights.cumsum(0)])  # (n + 1,)
    return cumulative[torch.searchsorted(sorted_samples, at, right=True)]


def wasserstein_1d(a: Tensor, b: Tensor, a_weights: Tensor | None = None,
                   b_weights: Tensor | None = None) -> Tensor:
    r""":math:`W_1` of two empirical 1-D distributions: samples ``a`` ``(n,)`` and ``b``
    ``(m,)``, uniform weights unless given (non-negative; normalised to sum to 1).

    .. math:: W_1 = \sum_k |F_a(t_k) - F_b(t_k)|\,(t_{k+1} - t_k)

    over the sorted pooled samples :math:`t_k`; float64."""
    if a.ndim != 1 or b.ndim != 1 or len(a) == 0 or len(b) == 0:
        raise ValueError(f"a and b must be non-empty 1-D, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    wa = torch.ones(len(a), dtype=torch.float64) if a_weights is None else a_weights.double()
    wb = torch.ones(len(b), dtype=torch.float64) if b_weights is None else b_weights.double()
    a, ia = torch.sort(a.double())
    b, ib = torch.sort(b.double())
    wa, wb = wa[ia] / wa.sum(), wb[ib] / wb.sum()
    t, _ = torch.sort(torch.cat([a, b]))  # (n + m,)
    gaps = t[1:] - t[:-1]  # (n + m - 1,)
    left = t[:-1]
    return ((_cdf(a, wa, left) - _cdf(b, wb, left)).abs() * gaps).sum()
