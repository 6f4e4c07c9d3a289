r"""LIME: a local linear model that imitates the network near one input (arXiv:1602.04938).

The explainable-AI lecture: perturb the input, record the black box's outputs, fit a simple
(linear) model on the perturbations weighted by their closeness to :math:`x`, and read the
linear model's weights as the explanation. Ribeiro et al., Eq. (1) with a weighted square
loss (Eq. (2)):

.. math:: \xi(x) = \arg\min_{g} \sum_{z} \pi_x(z)\,\big(f(z) - g(z')\big)^2
          + \rho \lVert w_g \rVert^2, \qquad \pi_x(z) = \exp(-D(x, z)^2 / \sigma^2)

- **tables** (:func:`lime_tabular`): :math:`z = x + s \odot \epsilon`,
  :math:`\epsilon \sim \mathcal{N}(0, I)` with the features' scales :math:`s`; the
  interpretable input :math:`z'` is :math:`z` itself and :math:`D` the Euclidean distance of
  the standardised features;
- **images** (:func:`lime_image`): the image cut into square superpixels (a grid; the paper
  uses a segmentation), :math:`z' \in \{0, 1\}^M` keeps or replaces each superpixel by a
  baseline value, :math:`D` is the cosine distance of :math:`z'` to all ones, as the
  ``lime`` package.

Differences from the ``lime`` package: its tabular explainer discretises features into
quartiles by default and samples around the training mean; here the Gaussian samples
around :math:`x` of its ``discretize_continuous=False, sample_around_instance=True`` mode.
The kernel widths are the package's defaults (:math:`0.75\sqrt{C}` for tables, 0.25 for
images).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int
from mllab.xai.saliency import Forward

__all__ = ["grid_segments", "lime_image", "lime_tabular", "weighted_ridge"]


def weighted_ridge(Z: Tensor, y: Tensor, pi: Tensor, rho: float = 0.0) -> tuple[Tensor, Tensor]:
    r"""Weights :math:`w` ``(M,)`` and intercept :math:`b` minimising
    :math:`\sum_s \pi_s (y_s - w^\top z_s - b)^2 + \rho \lVert w \rVert^2`, ``Z`` ``(S, M)``."""
    sw = pi.sqrt().unsqueeze(1)  # (S, 1)
    A = torch.cat([Z, torch.ones_like(Z[:, :1])], dim=1) * sw  # (S, M+1)
    reg = rho * torch.eye(A.shape[1], dtype=A.dtype, device=A.device)
    reg[-1, -1] = 0.0  # the intercept is not penalised
    theta = torch.linalg.solve(A.T @ A + reg, A.T @ (y.unsqueeze(1) * sw))  # normal equations
    return theta[:-1, 0], theta[-1, 0]


def lime_tabular(f: Forward, x: Tensor, target: int, scale: Tensor, *,
                 generator: torch.Generator, samples: int = 2000,
                 kernel_width: float | None = None, rho: float = 0.0) -> Tensor:
    r"""LIME's weights ``(C,)`` for the score of class ``target`` at one row ``x`` ``(C,)``.

    ``scale`` ``(C,)`` is each feature's spread (the training data's standard deviation);
    :math:`\sigma` defaults to :math:`0.75\sqrt{C}`. The weights are per unit of each
    feature (not per standard deviation).
    """
    require_int("samples", samples, 2)
    C = x.shape[0]
    sigma = 0.75 * math.sqrt(C) if kernel_width is None else kernel_width
    eps = torch.randn(samples, C, generator=generator, dtype=x.dtype).to(x.device)  # (S, C)
    eps[0] = 0  # the instance itself, as lime
    z = x + eps * scale  # z = x + s * eps
    with torch.no_grad():
        y = f(z)[:, target]  # (S,)
    d = eps.norm(dim=1)  # distance of the standardised features
    pi = torch.exp(-d ** 2 / sigma ** 2)  # pi_x(z)
    w, _ = weighted_ridge(z, y, pi, rho)
    return w


def grid_segments(H: int, W: int, size: int) -> Tensor:
    r"""Superpixel index of every pixel ``(H, W)``: squares of ``size`` pixels per side."""
    require_int("size", size, 1)
    rows = torch.arange(H) // size
    cols = torch.arange(W) // size
    return rows.unsqueeze(1) * math.ceil(W / size) + cols.unsqueeze(0)  # (H, W)


def lime_image(f: Forward, x: Tensor, target: int, segments: Tensor, *,
               generator: torch.Generator, samples: int = 1000, baseline: float = 0.0,
               kernel_width: float = 0.25, rho: float = 0.0) -> Tensor:
    r"""LIME's weight of each superpixel ``(M,)`` for class ``target`` of one image ``x``
    ``(C, H, W)``; ``segments`` ``(H, W)`` numbers them 0..M-1 (:func:`grid_segments`)."""
    require_int("samples", samples, 2)
    require(is_real(kernel_width) and kernel_width > 0, "kernel_width", "a number > 0",
            kernel_width)
    M = int(segments.max()) + 1
    z_prime = torch.randint(0, 2, (samples, M), generator=generator).to(x.dtype)  # (S, M)
    z_prime[0] = 1  # the image itself
    keep = z_prime[:, segments.to(x.device)]  # (S, H, W)
    z = keep.unsqueeze(1) * x + (1 - keep.unsqueeze(1)) * baseline  # (S, C, H, W)
    with torch.no_grad():
        y = f(z)[:, target]  # (S,)
    cos = z_prime.sum(1) / (z_prime.norm(dim=1) * math.sqrt(M)).clamp_min(1e-12)
    d = 1 - cos  # cosine distance to all ones
    pi = torch.exp(-d ** 2 / kernel_width ** 2)
    w, _ = weighted_ridge(z_prime, y, pi, rho)
    return w
