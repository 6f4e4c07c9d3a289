r"""The variational auto-encoder: an encoder that outputs a distribution, reparameterisation,
the Gaussian KL in closed form, and the ELBO.

Kingma & Welling, "Auto-Encoding Variational Bayes", arXiv:1312.6114, §2.3-2.4 and Appendix
B. The image-generation lecture's first family: the decoder is a generator :math:`p_\theta(x
\mid z)` of a code :math:`z \sim p(z) = \mathcal{N}(0, I)`; the encoder gives an approximate
posterior :math:`q_\phi(z \mid x) = \mathcal{N}(\mu, \mathrm{diag}\,\sigma^2)`, and both
maximise the evidence lower bound

.. math:: \log p_\theta(x) \ \ge\ \mathcal{L}(x) = \mathbb{E}_{q_\phi(z \mid x)}
    [\log p_\theta(x \mid z)] - D_{KL}(q_\phi(z \mid x) \,\Vert\, p(z)) \qquad \text{(Eq. 3)}

- **reparameterisation** (§2.4): :math:`z = \mu + \sigma \odot \epsilon`,
  :math:`\epsilon \sim \mathcal{N}(0, I)`, so the gradient flows through :math:`\mu, \sigma`;
- **KL in closed form** (Appendix B): :math:`D_{KL} = -\frac12 \sum_j (1 + \log\sigma_j^2
  - \mu_j^2 - \sigma_j^2)`;
- the reconstruction term with one sample of :math:`z` (Eq. 10): a Gaussian decoder
  :math:`\mathcal{N}(\hat x, s^2 I)` of fixed :math:`s` (``"gaussian"``) or a Bernoulli one
  for data in [0, 1] (``"bernoulli"``, the decoder's output are logits).

The encoder outputs :math:`\log\sigma^2` (``logvar``) for a positive :math:`\sigma^2`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.autoencoder.autoencoder import mlp_stack
from mllab.config import require, require_int

__all__ = ["ELBO", "LIKELIHOODS", "VAE", "elbo", "gaussian_kl", "log_likelihood",
           "reparameterize"]

LIKELIHOODS = ("gaussian", "bernoulli")


def reparameterize(mu: Tensor, logvar: Tensor, *, generator: torch.Generator | None = None,
                   noise: Tensor | None = None) -> Tensor:
    r""":math:`z = \mu + \sigma \odot \epsilon`, :math:`\sigma = \exp(\frac12 \log\sigma^2)`;
    :math:`\epsilon` is ``noise`` or drawn from ``generator``."""
    if noise is None:
        if generator is None:
            raise ValueError("reparameterize needs noise= or generator=")
        noise = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * noise


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    r""":math:`D_{KL}(\mathcal{N}(\mu, \mathrm{diag}\,\sigma^2) \Vert \mathcal{N}(0, I)) =
    -\frac12 \sum_j (1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2)` per example, ``(B,)``."""
    return -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(-1)


def log_likelihood(x: Tensor, decoded: Tensor, likelihood: str = "gaussian",
                   scale: float = 1.0) -> Tensor:
    r""":math:`\log p_\theta(x \mid z)` per example ``(B,)``: Gaussian
    :math:`\sum_i \log \mathcal{N}(x_i; \hat x_i, s^2)` or Bernoulli :math:`\sum_i x_i \log p_i
    + (1 - x_i)\log(1 - p_i)` with ``decoded`` the logits of :math:`p_i`."""
    require(likelihood in LIKELIHOODS, "likelihood", f"one of {LIKELIHOODS}", likelihood)
    if likelihood == "bernoulli":
        return -F.binary_cross_entropy_with_logits(decoded, x, reduction="none").flatten(1).sum(1)
    require(scale > 0, "scale", "> 0", scale)
    sq = ((x - decoded) / scale).square().flatten(1)  # (B, C)
    return -0.5 * (sq + math.log(2 * math.pi * scale**2)).sum(1)


@dataclass(frozen=True)
class ELBO:
    r"""The bound and its two terms, per example ``(B,)``."""

    elbo: Tensor
    r""":math:`\mathcal{L}(x) = \log p_\theta(x \mid z) - D_{KL}` (one sample of :math:`z`)."""
    reconstruction: Tensor
    r""":math:`\log p_\theta(x \mid z)`."""
    kl: Tensor
    r""":math:`D_{KL}(q_\phi(z \mid x) \Vert p(z))`."""


def elbo(x: Tensor, decoded: Tensor, mu: Tensor, logvar: Tensor,
         likelihood: str = "gaussian", scale: float = 1.0) -> ELBO:
    r""":math:`\mathcal{L}(x)` of Eq. 3 with the decoder's output ``decoded`` at one sample."""
    rec = log_likelihood(x, decoded, likelihood, scale)
    kl = gaussian_kl(mu, logvar)
    return ELBO(elbo=rec - kl, reconstruction=rec, kl=kl)


class VAE(nn.Module):
    r"""MLP encoder to :math:`(\mu, \log\sigma^2)` of size ``latent``, MLP decoder.

    Args:
        in_features: :math:`C`.
        latent: the size of :math:`z`.
        hidden: the encoder's hidden widths (reversed in the decoder).
        likelihood: ``"gaussian"`` (fixed ``scale``) or ``"bernoulli"``.
    """

    def __init__(self, in_features: int, latent: int = 2, hidden: Sequence[int] = (64,),
                 likelihood: str = "gaussian", scale: float = 1.0,
                 activation: str = "relu") -> None:
        super().__init__()
        require_int("in_features", in_features, 1)
        require_int("latent", latent, 1)
        require(likelihood in LIKELIHOODS, "likelihood", f"one of {LIKELIHOODS}", likelihood)
        require(scale > 0, "scale", "> 0", scale)
        self.latent, self.likelihood, self.scale = latent, likelihood, scale
        self.encoder = mlp_stack([in_features, *hidden, 2 * latent], activation)
        self.decoder = mlp_stack([latent, *reversed(hidden), in_features], activation)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        r"""``(mu, logvar)``, each ``(B, latent)``."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)  # (B, 2k) -> 2 x (B, k)
        return mu, logvar

    def decode(self, z: Tensor) -> Tensor:
        r"""The decoder's output: the mean :math:`\hat x` (Gaussian) or logits (Bernoulli)."""
        return self.decoder(z)

    def forward(self, x: Tensor, *, generator: torch.Generator) -> ELBO:
        r"""The ELBO of each example of ``x`` with one sample :math:`z` from ``generator``."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator=generator)
        return elbo(x, self.decode(z), mu, logvar, self.likelihood, self.scale)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator) -> Tensor:
        r"""The decoder as a generator: :math:`z \sim \mathcal{N}(0, I)`, the decoder's mean
        (Gaussian) or probabilities (Bernoulli), ``(n, C)``."""
        w = self.decoder[0].weight
        z = torch.randn(n, self.latent, generator=generator, dtype=w.dtype, device=w.device)
        out = self.decode(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out
