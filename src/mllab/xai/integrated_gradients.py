r"""Integrated gradients (Sundararajan et al., arXiv:1703.01365).

A gradient says what matters near :math:`x` only and saturates (the lecture's elephant-trunk
example: longer trunk, no more "elephant"); integrated gradients accumulate the gradient on
the straight path from a baseline :math:`x'` (Eq. (1)):

.. math:: \mathrm{IG}_n(x) = (x_n - x'_n) \int_0^1
          \frac{\partial f(x' + \alpha (x - x'))}{\partial x_n}\, d\alpha
          \approx (x_n - x'_n) \sum_{k} w_k\, \frac{\partial f(x' + \alpha_k (x - x'))}
          {\partial x_n}

and satisfy **completeness**: :math:`\sum_n \mathrm{IG}_n(x) = f(x) - f(x')` (Proposition 1),
up to the quadrature's error. The quadrature (:data:`METHODS`): Gauss-Legendre, or the left,
right, middle and trapezoid Riemann sums.

Differences from ``captum``: the same nodes and weights for ``gausslegendre`` and the
``riemann_left/right/middle`` rules; captum's ``riemann_trapezoid`` weighs its :math:`n`
points (spacing :math:`1/(n-1)`) by :math:`1/n` (halved at the ends), here by the trapezoid
rule's :math:`1/(n-1)`, so that the weights sum to 1.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from mllab.config import require, require_int
from mllab.xai.saliency import Forward, class_score_gradient

__all__ = ["METHODS", "integrated_gradients", "quadrature"]

METHODS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle",
           "riemann_trapezoid")


def quadrature(n: int, method: str = "gausslegendre") -> tuple[list[float], list[float]]:
    r"""Nodes :math:`\alpha_k \in [0, 1]` and weights :math:`w_k` (summing to 1)."""
    require(method in METHODS, "method", f"one of {', '.join(METHODS)}", method)
    require_int("n", n, 2)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)  # on [-1, 1]
        return list(0.5 * (1 + nodes)), list(0.5 * weights)
    if method == "riemann_trapezoid":
        w = [1 / (n - 1)] * n
        w[0] /= 2
        w[-1] /= 2
        return torch.linspace(0, 1, n).tolist(), w
    start, end = {"riemann_left": (0, 1 - 1 / n), "riemann_right": (1 / n, 1),
                  "riemann_middle": (1 / (2 * n), 1 - 1 / (2 * n))}[method]
    return torch.linspace(start, end, n).tolist(), [1 / n] * n


def integrated_gradients(f: Forward, x: Tensor, target: Tensor, baseline: Tensor | None = None,
                         n_steps: int = 50, method: str = "gausslegendre") -> Tensor:
    r"""IG attributions, ``x``'s shape; ``baseline`` :math:`x'` defaults to zeros (broadcast
    to ``x``)."""
    baseline = torch.zeros_like(x) if baseline is None else baseline.expand_as(x)
    alphas, weights = quadrature(n_steps, method)
    total = torch.zeros_like(x)
    for alpha, w in zip(alphas, weights, strict=True):
        point = baseline + alpha * (x - baseline)  # x' + alpha (x - x')
        total = total + w * class_score_gradient(f, point, target)
    return (x - baseline) * total  # Eq. (1)
