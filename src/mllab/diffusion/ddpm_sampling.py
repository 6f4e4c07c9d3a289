r"""DDPM sampling: Algorithm 2 of the paper, the sampler step and the loop.

Ho et al., arXiv:2006.11239, §3.2 and Algorithm 2:

.. code-block:: text

    1: x_T ~ N(0, I)
    2: for t = T, ..., 1 do
    3:   z ~ N(0, I) if t > 1, else z = 0
    4:   x_{t−1} = 1/√α_t (x_t − (1−α_t)/√(1−ᾱ_t) ε_θ(x_t, t)) + σ_t z
    5: end for
    6: return x_0

Line 4 is the mean of :math:`p_\theta(x_{t-1} \mid x_t)` in the :math:`\epsilon`
parametrisation (Eq. 11), which equals the posterior mean :math:`\tilde\mu_t(x_t, \hat x_0)`
of Eq. 7 with :math:`\hat x_0` from Eq. 15 (a test checks it), plus noise of the sampler's
:math:`\sigma_t` (:class:`~mllab.diffusion.noise_schedule.NoiseSchedule`). The lecture's point
that the added noise matters is ``add_noise=False``: :math:`z = 0` at every step.

The noise comes only from ``generator``, drawn in Algorithm 2's order (:math:`x_T`, then
:math:`z` at :math:`t = T, \dots, 2`), the order in which ``diffusers``' ``DDPMScheduler``
loop draws it: the same generator state gives the same samples (tested).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.diffusion.noise_schedule import NoiseSchedule

__all__ = ["ddpm_sample", "sampler_step"]


def sampler_step(schedule: NoiseSchedule, xt: Tensor, t: int, eps_pred: Tensor,
                 z: Tensor | None = None) -> Tensor:
    r"""Line 4 of Algorithm 2 at step index ``t`` (``0..T-1``, the paper's :math:`t + 1`):

    .. math:: x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}
        \epsilon_\theta(x_t, t)\Big) + \sigma_t z

    ``z = None`` is :math:`z = 0` (line 3 at the last step, or a noiseless sampler)."""
    alpha, alpha_bar = schedule.alpha[t].to(xt.dtype), schedule.alpha_bar[t].to(xt.dtype)
    # 1. the mean of p_θ(x_{t-1} | x_t) (Eq. 11)
    mean = (xt - (1 - alpha) / (1 - alpha_bar).sqrt() * eps_pred) / alpha.sqrt()
    if z is None:
        return mean
    # 2. plus σ_t z
    return mean + schedule.sigma[t].to(xt.dtype) * z


@torch.no_grad()
def ddpm_sample(eps_model: nn.Module, schedule: NoiseSchedule, shape: tuple[int, ...], *,
                generator: torch.Generator, add_noise: bool = True,
                dtype: torch.dtype = torch.float32,
                device: torch.device | str | None = None) -> Tensor:
    r"""Algorithm 2: ``shape[0]`` samples of ``shape``, the denoiser in eval mode.

    Args:
        eps_model: :math:`\epsilon_\theta`, called as ``eps_model(x_t, t)`` with ``t`` ``(B,)``.
        schedule: :math:`\alpha_t`, :math:`\bar\alpha_t`, :math:`\sigma_t`.
        shape: ``(B, ...)`` of the samples.
        generator: draws :math:`x_T` and every :math:`z`.
        add_noise: ``False`` sets :math:`z = 0` at every step (the lecture's ablation).
    """
    was_training = eps_model.training
    eps_model.eval()
    try:
        x = torch.randn(shape, generator=generator, dtype=dtype, device=device)  # 1: x_T
        for t in reversed(range(schedule.T)):  # 2: t = T, ..., 1 (index T-1, ..., 0)
            t_batch = torch.full((shape[0],), t, dtype=torch.long, device=x.device)
            eps_pred = eps_model(x, t_batch)
            z = torch.randn(shape, generator=generator, dtype=dtype, device=device) \
                if t > 0 and add_noise else None  # 3: z ~ N(0, I) if t > 1, else z = 0
            x = sampler_step(schedule, x, t, eps_pred, z)  # 4
        return x  # 6: x_0
    finally:
        eps_model.train(was_training)
