r"""DDPM's forward process in one step, and its posterior.

Ho et al., arXiv:2006.11239. Composing :math:`t` Gaussian steps of Eq. 2 gives a closed form,
which is why training adds the noise "in one step":

.. math:: q(x_t \mid x_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I),
    \qquad x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon,
    \quad \epsilon \sim \mathcal{N}(0, I) \qquad \text{(Eq. 4)}

and the reverse of one step given :math:`x_0` is Gaussian too,

.. math:: q(x_{t-1} \mid x_t, x_0) = \mathcal{N}(\tilde\mu_t(x_t, x_0), \tilde\beta_t I),
    \qquad \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t} x_0
    + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t} x_t \qquad \text{(Eq. 6-7)}

Indices ``t`` are ``0..T-1`` (the paper's :math:`t = 1..T`), one per example.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.diffusion.noise_schedule import NoiseSchedule

__all__ = ["per_example", "posterior_mean", "predicted_x0", "q_sample"]


def per_example(values: Tensor, t: Tensor, like: Tensor) -> Tensor:
    r"""``values[t]`` shaped ``(B, 1, ..., 1)`` to broadcast against ``like`` ``(B, ...)``."""
    return values[t].to(like.dtype).view(-1, *([1] * (like.ndim - 1)))  # (B, 1, ..., 1)


def q_sample(schedule: NoiseSchedule, x0: Tensor, t: Tensor, *,
             noise: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
    r""":math:`x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon` (Eq. 4).

    Args:
        x0: clean data ``(B, ...)``.
        t: step of each example ``(B,)``, in ``0..T-1``.
        noise: :math:`\epsilon` (``x0``'s shape); else drawn from ``generator``.
    """
    if noise is None:
        if generator is None:
            raise ValueError("q_sample needs noise= or generator=")
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
    ab = per_example(schedule.alpha_bar, t, x0)  # (B, 1, ...)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise  # Eq. 4


def predicted_x0(schedule: NoiseSchedule, xt: Tensor, t: Tensor, eps_pred: Tensor) -> Tensor:
    r""":math:`\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta) / \sqrt{\bar\alpha_t}`:
    Eq. 4 solved for :math:`x_0` (Eq. 15)."""
    ab = per_example(schedule.alpha_bar, t, xt)
    return (xt - (1 - ab).sqrt() * eps_pred) / ab.sqrt()


def posterior_mean(schedule: NoiseSchedule, x0: Tensor, xt: Tensor, t: Tensor) -> Tensor:
    r""":math:`\tilde\mu_t(x_t, x_0)` of :math:`q(x_{t-1} \mid x_t, x_0)` (Eq. 7)."""
    ab = per_example(schedule.alpha_bar, t, xt)
    ab_prev = per_example(schedule.alpha_bar_prev, t, xt)
    beta = per_example(schedule.beta, t, xt)
    alpha = per_example(schedule.alpha, t, xt)
    return (ab_prev.sqrt() * beta / (1 - ab)) * x0 + (alpha.sqrt() * (1 - ab_prev) / (1 - ab)) * xt
