"""Density training on the general loop, tiny: the runs that ``tests/resume_runs.py`` kills
with SIGKILL and resumes (``test_density_step.py``): a VAE on a fixed 2-D point cloud (its z
drawn from the state's generator) and a coupling flow."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.generative import VAE, CouplingFlow, DensityState, density_step, vae_nll
from mllab.train import seed_everything

SEED = 3


def make_state(kind: str = "vae") -> DensityState:
    r"""A fresh state (seeded) of a ``"vae"`` or a ``"flow"``."""
    seed_everything(SEED)
    model = VAE(2, latent=2, hidden=(16,), scale=0.5) if kind == "vae" else CouplingFlow(
        2, layers=4, hidden=16)
    g = torch.Generator().manual_seed(0)
    data = torch.cat([torch.randn(64, 2, generator=g) * 0.1 + 1.0,
                      torch.randn(64, 2, generator=g) * 0.1 - 1.0])  # (128, 2)
    return DensityState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=3e-3),
                        generator=torch.Generator().manual_seed(SEED), data=data)


def run() -> tuple[DensityState, Callable]:
    return make_state("vae"), density_step(vae_nll, batch_size=32)
