"""A MAML run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_meta_step.py``): second-order MAML, two inner steps, a small MLP on sinusoid tasks
(:func:`mllab.meta.sinusoid_tasks`, drawn from the state's generator), Adam as the outer
optimizer.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mllab.meta import MAMLConfig, MetaState, meta_step, sinusoid_tasks
from mllab.train import seed_everything


def mse(prediction: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((prediction - y) ** 2).mean()


def run() -> tuple[MetaState, Callable]:
    seed_everything(3)
    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
    state = MetaState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                      generator=torch.Generator().manual_seed(3),
                      sample_tasks=lambda g: sinusoid_tasks(g, n=3, k_support=5, k_query=5))
    return state, meta_step(MAMLConfig(alpha=0.01, inner_steps=2), mse)
