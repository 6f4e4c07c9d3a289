r"""The gradient penalty of WGAN-GP (Gulrajani et al., "Improved Training of Wasserstein GANs",
arXiv:1704.00028).

A differentiable function is 1-Lipschitz exactly when its gradient has norm at most 1
everywhere, and the optimal critic has gradient norm 1 almost everywhere on the lines between
coupled real and generated points (Proposition 1). So instead of clipping weights, the critic's
loss gets a penalty on the gradient norm at random points of those lines, Eq. (3):

.. math::
    L = \underbrace{\mathbb{E}_{\tilde x \sim P_G}[D(\tilde x)]
        - \mathbb{E}_{x \sim P_{data}}[D(x)]}_{\text{critic loss}}
      + \lambda\, \mathbb{E}_{\hat x \sim P_{\hat x}}
        \big[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2\big],
    \qquad \hat x = \epsilon x + (1 - \epsilon)\tilde x,\ \epsilon \sim U[0, 1]

with one :math:`\epsilon` per pair (Algorithm 1, lines 4–8) and :math:`\lambda = 10`.

Differences from the paper: none; the :math:`\epsilon` are drawn from the ``generator``
argument so that a run is reproducible and resumable.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from mllab.config import is_real, require

__all__ = ["gradient_penalty", "interpolate"]


def interpolate(real: Tensor, fake: Tensor, epsilon: Tensor) -> Tensor:
    r""":math:`\hat x = \epsilon x + (1 - \epsilon)\tilde x` with one :math:`\epsilon` per
    sample: ``real`` and ``fake`` are ``(B, ...)``, ``epsilon`` is ``(B,)``."""
    if real.shape != fake.shape or epsilon.shape != real.shape[:1]:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} must match and "
                         f"epsilon must be ({real.shape[0]},), got {tuple(epsilon.shape)}")
    eps = epsilon.reshape(-1, *([1] * (real.ndim - 1)))  # (B, 1, ..., 1)
    return eps * real + (1 - eps) * fake


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, *,
                     generator: torch.Generator, weight: float = 10.0) -> Tensor:
    r""":math:`\lambda \frac1B \sum_i (\|\nabla_{\hat x} D(\hat x_i)\|_2 - 1)^2` (Eq. 3).

    Args:
        critic: :math:`D`, mapping ``(B, ...)`` to scores ``(B,)`` or ``(B, 1)``; for a
            conditional critic pass ``lambda x: D(x, y)``.
        real, fake: :math:`x` and :math:`\tilde x`, both ``(B, ...)``; ``fake`` is detached.
        generator: draws :math:`\epsilon \sim U[0, 1]`, one per sample.
        weight: :math:`\lambda` (> 0).

    Returns:
        The penalty, a 0-dim tensor differentiable in the critic's parameters (the gradient
        is taken with ``create_graph=True``).
    """
    require(is_real(weight) and weight > 0, "weight", "a number > 0", weight)
    epsilon = torch.rand(real.shape[0], generator=generator, dtype=real.dtype)  # (B,)
    with torch.enable_grad():  # also under no_grad (monitoring): the gradient is the penalty
        x_hat = interpolate(real.detach(), fake.detach(), epsilon.to(real.device))
        x_hat.requires_grad_()
        scores = critic(x_hat)
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, ...)
        norm = grad.flatten(1).norm(dim=1)  # (B,)
        return weight * (norm - 1).square().mean()  # Eq. (3)
