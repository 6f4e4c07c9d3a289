r"""Sampling in fewer steps than training: a trained DDPM's schedule respaced onto a subset of
its timesteps (Nichol & Dhariwal, arXiv:2102.09672, §4).

A model trained with :math:`T` steps knows :math:`\bar\alpha_t` at every :math:`t`. Keeping
only the timesteps :math:`\tau_1 < \dots < \tau_S` defines a shorter diffusion with the same
marginals :math:`q(x_{\tau_i} \mid x_0)`:

.. math:: \bar\alpha'_i = \bar\alpha_{\tau_i}, \qquad
    \beta'_i = 1 - \frac{\bar\alpha_{\tau_i}}{\bar\alpha_{\tau_{i-1}}}
    \quad (\bar\alpha_{\tau_0} = 1),

and Algorithm 2 runs on it in :math:`S` steps, the denoiser called at the original
:math:`\tau_i` (:class:`Respaced`). :func:`leading_timesteps` spaces them as ``diffusers``'
``DDPMScheduler.set_timesteps`` does by default (``"leading"``): :math:`0, r, 2r, \dots,
(S-1)r` with :math:`r = \lfloor T / S \rfloor`; the whole respaced loop equals its loop
(tested).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.diffusion.noise_schedule import NoiseSchedule

__all__ = ["Respaced", "leading_timesteps", "respace"]


def leading_timesteps(T: int, S: int) -> Tensor:
    r""":math:`S` timesteps of :math:`0..T-1`, evenly spaced from 0: ``(S,)``."""
    require(1 <= S <= T, "S", f"in 1..T = {T}", S)
    return torch.arange(S) * (T // S)


def respace(schedule: NoiseSchedule, timesteps: Tensor, sigma: str = "beta_tilde"
            ) -> NoiseSchedule:
    r"""The schedule of the diffusion restricted to ``timesteps`` (increasing indices):
    :math:`\beta'_i = 1 - \bar\alpha_{\tau_i} / \bar\alpha_{\tau_{i-1}}`, and the sampler's
    :math:`\sigma'_i` from them (``"beta"`` or ``"beta_tilde"``)."""
    require(timesteps.ndim == 1 and len(timesteps) >= 1 and bool((timesteps.diff() > 0).all())
            and 0 <= int(timesteps[0]) and int(timesteps[-1]) < schedule.T, "timesteps",
            f"increasing indices in 0..{schedule.T - 1}", timesteps)
    alpha_bar = schedule.alpha_bar[timesteps]  # ᾱ'_i = ᾱ_{τ_i}
    alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])  # ᾱ_{τ_{i-1}}
    return NoiseSchedule.from_betas(1 - alpha_bar / alpha_bar_prev, sigma)


class Respaced(nn.Module):
    r""":math:`\epsilon_\theta(x, \tau_i)` called with the respaced step index :math:`i`."""

    def __init__(self, eps_model: nn.Module, timesteps: Tensor) -> None:
        super().__init__()
        self.eps_model = eps_model
        self.register_buffer("timesteps", timesteps.clone(), persistent=False)

    def forward(self, x: Tensor, i: Tensor) -> Tensor:
        return self.eps_model(x, self.timesteps[i])
