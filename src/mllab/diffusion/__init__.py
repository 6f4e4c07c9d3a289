r"""Diffusion (the image-generation lecture): DDPM's training and sampling algorithms.

Ho et al., arXiv:2006.11239.

- :func:`linear_betas`, :func:`cosine_betas` (arXiv:2102.09672), :class:`NoiseSchedule`:
  :math:`\beta_t`, :math:`\alpha_t`, :math:`\bar\alpha_t` (a cumulative product), :math:`\sigma_t`;
- :func:`q_sample` (Eq. 4), :func:`posterior_mean` (Eq. 7), :func:`predicted_x0` (Eq. 15);
- Algorithm 1: :func:`ddpm_loss`, :class:`DDPMState`, :func:`ddpm_training_step`;
- Algorithm 2: :func:`sampler_step`, :func:`ddpm_sample`; in fewer steps on a respaced
  schedule: :func:`leading_timesteps`, :func:`respace`, :class:`Respaced` (arXiv:2102.09672);
- denoisers: :class:`MLPDenoiser` (2-D data), :class:`UNetDenoiser` (8x8 images), with
  :class:`TimeEmbedding`.
"""

from mllab.diffusion.ddpm_sampling import ddpm_sample, sampler_step
from mllab.diffusion.ddpm_training import DDPMState, ddpm_loss, ddpm_training_step, epsilon_loss
from mllab.diffusion.forward_process import per_example, posterior_mean, predicted_x0, q_sample
from mllab.diffusion.mlp_denoiser import MLPDenoiser
from mllab.diffusion.noise_schedule import (
    SCHEDULES,
    SIGMAS,
    NoiseSchedule,
    cosine_betas,
    linear_betas,
)
from mllab.diffusion.respacing import Respaced, leading_timesteps, respace
from mllab.diffusion.time_embedding import TimeEmbedding
from mllab.diffusion.unet_denoiser import UNetDenoiser

__all__ = [
    "SCHEDULES", "SIGMAS", "DDPMState", "MLPDenoiser", "NoiseSchedule", "Respaced",
    "TimeEmbedding", "UNetDenoiser", "cosine_betas", "ddpm_loss", "ddpm_sample",
    "ddpm_training_step", "epsilon_loss", "leading_timesteps", "linear_betas", "per_example",
    "posterior_mean", "predicted_x0", "q_sample", "respace", "sampler_step",
]
