r"""The four generative families of ``generative-families``, each trained on one of its two
kinds of data: 2-D points ``(N, 2)`` (the SYNTHETIC ring) or 8×8 digits ``(N, 1, 8, 8)`` in
:math:`[-1, 1]`.

The networks, by kind (points; digits):

- **VAE** (arXiv:1312.6114): MLP encoder and decoder, Gaussian decoder of fixed standard
  deviation. Points: 2 → 128 → 128 → 2, a 2-D latent, standard deviation 0.1 (the data's
  within-mode spread); digits: 64 → 256 → 256 → 16, standard deviation 0.25 (two of the 17
  pixel levels). Samples are the decoder's mean at :math:`z \sim \mathcal N(0, I)`.
- **flow** (RealNVP, arXiv:1605.08803): affine couplings, exact log-likelihood. Points: 6
  couplings of width 64; digits: 8 couplings of width 256 over the 64 pixels.
- **diffusion** (DDPM, arXiv:2006.11239): the linear schedule over T steps, Algorithm 2 in all
  T. Points: :class:`mllab.diffusion.MLPDenoiser` of width 128; digits:
  :class:`mllab.diffusion.UNetDenoiser` of base 16 (22 ms an update of 128 digits on one
  thread, against 60 ms at base 32).
- **GAN**. Points: WGAN-GP (arXiv:1704.00028) with the MLPs and Adam of ``mode-collapse``;
  digits: the DCGAN and non-saturating loss of ``conditional-gan``, unconditional.

Each trains with Adam for its own number of updates on batches drawn with replacement: 256
points or 128 digits (the GAN on digits: 64, as in ``conditional-gan``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.diffusion import (
    DDPMState,
    MLPDenoiser,
    NoiseSchedule,
    UNetDenoiser,
    ddpm_sample,
    ddpm_training_step,
)
from mllab.experiments.context import Trial
from mllab.experiments.image_generation.diffusion_steps import thinned
from mllab.gan import (
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    GANState,
    GANStepConfig,
    MLPDiscriminator,
    MLPGANConfig,
    MLPGenerator,
    gan_step,
)
from mllab.generative import VAE, CouplingFlow, DensityState, density_step, flow_nll, vae_nll
from mllab.train import LoopConfig

FAMILIES = ("vae", "flow", "diffusion", "gan")
Z_POINTS, Z_DIGITS = 8, 16
r"""The GAN's :math:`z` size: ``mode-collapse``'s on points, ``conditional-gan``'s on digits."""


@dataclass(frozen=True)
class Budget:
    r"""How long each family trains."""

    steps: int
    """Updates of the VAE, the flow and the denoiser."""
    gan_steps: int
    """Generator updates of the GAN."""
    lr: float
    """Adam's learning rate of the VAE, the flow, the denoiser and the GAN on points (the GAN
    on digits keeps DCGAN's 2e-4)."""
    T: int
    """Diffusion steps."""


def evaluations(T: int) -> dict[str, int]:
    r"""Network evaluations per sample: one pass, or Algorithm 2's T steps."""
    return {"vae": 1, "flow": 1, "diffusion": T, "gan": 1}


@dataclass(frozen=True)
class Trained:
    r"""A trained family: ``sample(n, generator)`` gives ``n`` samples shaped like the data;
    ``nll(x)`` the negative log-likelihood of each example ``(B,)`` (the VAE: its bound, the
    negative ELBO), or None where the family gives none."""

    sample: Callable[[int, torch.Generator], Tensor]
    nll: Callable[[Tensor], Tensor] | None


def train_family(t: Trial, family: str, data: Tensor, budget: Budget, *,
                 generator: torch.Generator, nll_generator: torch.Generator,
                 fingerprint: dict) -> Trained:
    r"""``family`` trained on ``data`` in trial ``t``, its batches (and the VAE's :math:`z`)
    from ``generator``, the VAE's held-out bound from ``nll_generator``."""
    shape, digits = data.shape[1:], data.dim() == 4
    flat = data.flatten(1)  # (N, 2) or (N, 64)
    if family in ("vae", "flow"):
        if family == "vae":
            model = VAE(64, latent=16, hidden=(256, 256), scale=0.25) if digits \
                else VAE(2, latent=2, hidden=(128, 128), scale=0.1)
        else:
            model = CouplingFlow(64, layers=8, hidden=256) if digits \
                else CouplingFlow(2, layers=6, hidden=64)
        objective = vae_nll if family == "vae" else flow_nll
        state = DensityState(model=model, generator=generator, data=flat,
                             optimizer=torch.optim.Adam(model.parameters(), lr=budget.lr))
        t.run(thinned(density_step(objective, 128 if digits else 256), budget.steps), state,
              LoopConfig(steps=budget.steps), fingerprint=fingerprint)
        model.eval()
        return Trained(lambda n, g: model.sample(n, generator=g).view(n, *shape),
                       lambda x: objective(model, x.flatten(1), nll_generator))
    if family == "diffusion":
        model = UNetDenoiser(channels=1, T=budget.T, base=16) if digits \
            else MLPDenoiser(dim=2, T=budget.T, width=128)
        schedule = NoiseSchedule.make("linear", T=budget.T)
        state = DDPMState(eps_model=model, generator=generator, data=data, schedule=schedule,
                          optimizer=torch.optim.Adam(model.parameters(), lr=budget.lr))
        t.run(thinned(ddpm_training_step(128 if digits else 256), budget.steps), state,
              LoopConfig(steps=budget.steps), fingerprint=fingerprint)
        return Trained(lambda n, g: ddpm_sample(model, schedule, (n, *shape), generator=g), None)
    if digits:
        z_dim, config = Z_DIGITS, DCGANConfig(z_dim=Z_DIGITS, width=32)
        G, D = DCGANGenerator(config), DCGANDiscriminator(config)
        adam = {"lr": 2e-4, "betas": (0.5, 0.999)}
        step = GANStepConfig(loss="non_saturating", batch_size=64, z_dim=z_dim,
                             log_every=max(1, budget.gan_steps // 20))
    else:
        z_dim, config = Z_POINTS, MLPGANConfig(data_dim=2, z_dim=Z_POINTS, width=128, depth=2)
        G, D = MLPGenerator(config), MLPDiscriminator(config)
        adam = {"lr": budget.lr, "betas": (0.5, 0.9)}
        step = GANStepConfig(loss="wasserstein", batch_size=256, z_dim=z_dim, d_steps=5,
                             gp_weight=10.0, log_every=max(1, budget.gan_steps // 20))
    state = GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), **adam),
                     opt_D=torch.optim.Adam(D.parameters(), **adam), generator=generator,
                     data=data)
    t.run(gan_step(step), state, LoopConfig(steps=budget.gan_steps), fingerprint=fingerprint)
    G.eval()
    return Trained(lambda n, g: G(torch.randn(n, z_dim, generator=g)).detach(), None)
