r"""The Jensen–Shannon divergence of two distributions, and why it fails a GAN.

The lecture: training the discriminator of :math:`V(G, D)` measures the JS divergence
between :math:`P_G` and :math:`P_{data}`,

.. math::
    \mathrm{JSD}(P \,\|\, Q) = \tfrac12 \mathrm{KL}(P \,\|\, M) + \tfrac12 \mathrm{KL}(Q \,\|\, M),
    \qquad M = \tfrac12 (P + Q),

and "when the two distributions do not overlap the JS divergence is :math:`\log 2`": for
disjoint supports :math:`M = P/2` on the support of :math:`P`, so
:math:`\mathrm{KL}(P \| M) = \log 2`, and the same for :math:`Q`, however near or far the
two are. A generator whose samples miss the data gets the same divergence at every distance,
so no signal which way to move.

Distributions here are probability vectors or arrays (a 1-D or 2-D histogram, one entry per
bin); :func:`histogram` bins samples on fixed edges. Natural logarithms (nats), with
:math:`0 \log 0 = 0`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["LOG_2", "histogram", "js_divergence", "kl_divergence"]

LOG_2 = math.log(2.0)
r""":math:`\log 2`, the JS divergence of distributions with disjoint supports."""


def _check(p: Tensor, q: Tensor) -> None:
    if p.shape != q.shape:
        raise ValueError(f"p {tuple(p.shape)} and q {tuple(q.shape)} must have one shape")
    for name, d in (("p", p), ("q", q)):
        if bool((d < 0).any()) or abs(float(d.sum()) - 1.0) > 1e-6:
            raise ValueError(f"{name} must be a probability distribution (entries >= 0 "
                             f"summing to 1), sums to {float(d.sum())}")


def kl_divergence(p: Tensor, q: Tensor) -> Tensor:
    r""":math:`\mathrm{KL}(P \| Q) = \sum_i p_i \log(p_i / q_i)`, with :math:`0 \log 0 = 0`
    (``inf`` where :math:`p_i > 0 = q_i`); float64."""
    _check(p, q)
    p, q = p.double().flatten(), q.double().flatten()
    on = p > 0
    return (p[on] * (p[on].log() - q[on].log())).sum()


def js_divergence(p: Tensor, q: Tensor) -> Tensor:
    r""":math:`\mathrm{JSD}(P \| Q) = \frac12 \mathrm{KL}(P \| M) + \frac12 \mathrm{KL}(Q \| M)`,
    :math:`M = (P + Q)/2`, for probability arrays of one shape (any number of dimensions);
    float64, between 0 and :math:`\log 2`."""
    _check(p, q)
    m = (p.double() + q.double()) / 2
    return (kl_divergence(p, m) + kl_divergence(q, m)) / 2


def histogram(samples: Tensor, edges: list[Tensor]) -> Tensor:
    r"""The share of ``samples`` ``(N, d)`` in each bin of the grid that ``edges`` (``d``
    increasing 1-D tensors) makes: an array of shape ``(len(edges[0]) - 1, ...)`` summing to
    the share of samples inside the grid (1 when the grid covers them all)."""
    if samples.ndim != 2 or samples.shape[1] != len(edges):
        raise ValueError(f"samples must be (N, {len(edges)}) for {len(edges)} edge tensors, "
                         f"got {tuple(samples.shape)}")
    counts, _ = torch.histogramdd(samples.double(), bins=[e.double() for e in edges])
    return counts / samples.shape[0]
