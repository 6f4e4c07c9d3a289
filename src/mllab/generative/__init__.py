r"""The image-generation lecture's likelihood-based families: the VAE and a normalizing flow.

- :class:`VAE` with :func:`reparameterize`, :func:`gaussian_kl` and :func:`elbo`
  (arXiv:1312.6114);
- :class:`CouplingFlow` of :class:`AffineCoupling` layers, exact :meth:`~CouplingFlow.log_prob`
  (RealNVP, arXiv:1605.08803);
- training either on the general loop: :class:`DensityState` and :func:`density_step` with
  :func:`vae_nll` (the negative ELBO) or :func:`flow_nll` (the exact negative log-likelihood).

Diffusion lives in :mod:`mllab.diffusion`.
"""

from mllab.generative.coupling_flow import AffineCoupling, CouplingFlow, alternating_masks
from mllab.generative.density_step import DensityState, density_step, flow_nll, vae_nll
from mllab.generative.vae import (
    ELBO,
    LIKELIHOODS,
    VAE,
    elbo,
    gaussian_kl,
    log_likelihood,
    reparameterize,
)

__all__ = ["ELBO", "LIKELIHOODS", "VAE", "AffineCoupling", "CouplingFlow", "DensityState",
           "alternating_masks", "density_step", "elbo", "flow_nll", "gaussian_kl",
           "log_likelihood", "reparameterize", "vae_nll"]
