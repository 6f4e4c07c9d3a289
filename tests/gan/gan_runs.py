"""A GAN run for ``tests/resume_runs.py`` to kill with SIGKILL and resume (``test_gan_step.py``).

The run has every kind of state a GAN step touches: a conditional DCGAN on the digits whose
generator has batch norm (running statistics), a spectrally normalized projection critic (the
power-iteration vectors), WGAN-GP (the penalty's epsilons), k = 2 critic steps, mismatched
negatives (wrong labels), two Adam optimizers and the state's generator.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.gan import (
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    GANState,
    GANStepConfig,
    gan_step,
    load_digit_images,
)
from mllab.train import seed_everything

SEED = 5
STEP = GANStepConfig(loss="wasserstein", batch_size=16, z_dim=8, d_steps=2, gp_weight=10.0,
                     mismatched=True, log_every=3)


def run() -> tuple[GANState, Callable]:
    seed_everything(SEED)
    x, y = load_digit_images()
    config = DCGANConfig(z_dim=8, width=8, num_classes=10)
    G = DCGANGenerator(config)
    D = DCGANDiscriminator(config, spectral_norm=True, generator=torch.Generator().manual_seed(1))
    state = GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9)),
                     opt_D=torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9)),
                     generator=torch.Generator().manual_seed(SEED), data=x[:400], labels=y[:400])
    return state, gan_step(STEP)
