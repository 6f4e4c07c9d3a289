"""DDPM training (Algorithm 1) on the general loop, tiny: the run that ``tests/resume_runs.py``
kills with SIGKILL and resumes (``test_ddpm_training.py``): an :class:`MLPDenoiser` on a fixed
2-D point cloud, with a cosine schedule and a step learning-rate schedule.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.diffusion import DDPMState, MLPDenoiser, NoiseSchedule, ddpm_training_step
from mllab.train import seed_everything

SEED, T = 5, 50


def make_state() -> DDPMState:
    r"""A fresh state (seeded)."""
    seed_everything(SEED)
    model = MLPDenoiser(dim=2, T=T, width=32, depth=2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    data = torch.cat([torch.randn(64, 2, generator=g) * 0.1 + 1.0,
                      torch.randn(64, 2, generator=g) * 0.1 - 1.0])  # (128, 2)
    return DDPMState(eps_model=model, optimizer=opt, generator=torch.Generator().manual_seed(SEED),
                     data=data, schedule=NoiseSchedule.make("cosine", T=T),
                     scheduler=torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.9))


def run() -> tuple[DDPMState, Callable]:
    return make_state(), ddpm_training_step(batch_size=32)
