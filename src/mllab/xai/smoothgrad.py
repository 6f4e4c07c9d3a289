r"""SmoothGrad: the saliency map averaged over noisy copies of the input.

The explainable-AI lecture: gradients are noisy (a small change of the input changes the map);
Smilkov et al., arXiv:1706.03825, Eq. (3) average the map over :math:`n` copies with Gaussian
noise:

.. math:: \hat M(x) = \frac{1}{n} \sum_{i=1}^{n} M\big(x + \mathcal{N}(0, \sigma^2)\big)

The noise comes from ``generator`` or is passed as ``noise`` ``(n, B, ...)``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int
from mllab.xai.saliency import Forward, saliency

__all__ = ["smoothgrad"]


def smoothgrad(f: Forward, x: Tensor, target: Tensor, sigma: float = 0.15, n: int = 25, *,
               generator: torch.Generator | None = None, noise: Tensor | None = None,
               absolute: bool = True) -> Tensor:
    r"""SmoothGrad's map, ``x``'s shape: the mean of :func:`saliency` over ``n`` noisy copies.

    Give either ``generator`` (draws :math:`\mathcal{N}(0, \sigma^2)` noise ``(n, B, ...)``) or
    ``noise`` itself (then ``sigma`` and ``n`` are read from it).
    """
    require((generator is None) != (noise is None), "generator/noise", "exactly one given",
            "both" if generator is not None else "neither")
    if noise is None:
        require(is_real(sigma) and sigma >= 0, "sigma", "a number >= 0", sigma)
        require_int("n", n, 1)
        noise = sigma * torch.randn((n, *x.shape), generator=generator, dtype=x.dtype)
        noise = noise.to(x.device)  # (n, B, ...)
    n = noise.shape[0]
    noisy = (x.unsqueeze(0) + noise).reshape(-1, *x.shape[1:])  # (n*B, ...)
    maps = saliency(f, noisy, target.repeat(n), absolute)
    return maps.reshape(n, *x.shape).mean(0)  # Eq. (3): mean over the n copies
