"""A CycleGAN run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_cycle_gan_step.py``): unpaired batches of two domains of digits (the digits and their
SYNTHETIC negatives, from disjoint halves), all four networks, the cycle and identity terms,
the hinge losses, two Adam optimizers and the state's generator.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.gan import (
    CycleGAN,
    CycleGANConfig,
    CycleGANState,
    CycleGANStepConfig,
    cycle_gan_step,
    load_digit_images,
)
from mllab.train import seed_everything

SEED = 7
STEP = CycleGANStepConfig(loss="hinge", cycle_weight=10.0, identity_weight=0.5, batch_size=16,
                          log_every=2)


def run() -> tuple[CycleGANState, Callable]:
    seed_everything(SEED)
    x, _ = load_digit_images()
    model = CycleGAN(CycleGANConfig(width=8))
    generators = [*model.G.parameters(), *model.F.parameters()]
    discriminators = [*model.D_X.parameters(), *model.D_Y.parameters()]
    state = CycleGANState(
        model=model, opt_G=torch.optim.Adam(generators, lr=1e-3, betas=(0.5, 0.999)),
        opt_D=torch.optim.Adam(discriminators, lr=1e-3, betas=(0.5, 0.999)),
        generator=torch.Generator().manual_seed(SEED), x=x[:300], y=-x[300:600])
    return state, cycle_gan_step(STEP)
