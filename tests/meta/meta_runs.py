"""A MAML run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_meta_step.py``): second-order MAML, two inner steps, a small MLP on sinusoid tasks
(amplitude and phase drawn per task from the state's generator), Adam as the outer optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from mllab.meta import MAMLConfig, MetaState, Task, meta_step
from mllab.train import seed_everything


def mse(prediction: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((prediction - y) ** 2).mean()


def sinusoid_tasks(g: torch.Generator, n: int = 3, k: int = 5) -> list[Task]:
    r"""``n`` tasks :math:`y = A \sin(x - \varphi)`, ``k`` support and ``k`` query points each."""
    tasks = []
    for _ in range(n):
        A, phase = 0.1 + 4.9 * torch.rand(1, generator=g), math.pi * torch.rand(1, generator=g)
        x = 10 * torch.rand(2 * k, 1, generator=g) - 5
        y = A * torch.sin(x - phase)
        tasks.append(Task(x[:k], y[:k], x[k:], y[k:]))
    return tasks


def run() -> tuple[MetaState, Callable]:
    seed_everything(3)
    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
    state = MetaState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                      generator=torch.Generator().manual_seed(3), sample_tasks=sinusoid_tasks)
    return state, meta_step(MAMLConfig(alpha=0.01, inner_steps=2), mse)
