r"""The image-generation lecture's likelihood-based families: the VAE and a normalizing flow.

- :class:`VAE` with :func:`reparameterize`, :func:`gaussian_kl` and :func:`elbo`
  (arXiv:1312.6114);
- :class:`CouplingFlow` of :class:`AffineCoupling` layers, exact :meth:`~CouplingFlow.log_prob`
  (RealNVP, arXiv:1605.08803).

Diffusion lives in :mod:`mllab.diffusion`.
"""

from mllab.generative.coupling_flow import AffineCoupling, CouplingFlow, alternating_masks
from mllab.generative.vae import (
    ELBO,
    LIKELIHOODS,
    VAE,
    elbo,
    gaussian_kl,
    log_likelihood,
    reparameterize,
)

__all__ = ["ELBO", "LIKELIHOODS", "VAE", "AffineCoupling", "CouplingFlow", "alternating_masks",
           "elbo", "gaussian_kl", "log_likelihood", "reparameterize"]
