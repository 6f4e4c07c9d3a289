"""A continual-learning run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_continual_step.py``): task B trained under an EWC penalty from task A, with SI's path
integral omega tracked in the state, SGD with momentum.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mllab.lifelong import ContinualConfig, ContinualState, continual_step, ewc, fisher_diagonal
from mllab.train import seed_everything


def run() -> tuple[ContinualState, Callable]:
    seed_everything(4)
    g = torch.Generator().manual_seed(4)
    x = torch.randn(64, 2, generator=g)
    y_a, y_b = (x[:, 0] > 0).long(), (x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    penalty = ewc(model, fisher_diagonal(model, x, y_a), lam=10.0)
    state = ContinualState(
        model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        generator=torch.Generator().manual_seed(5),
        omega={n: torch.zeros_like(p) for n, p in model.named_parameters()},
        x=x, y=y_b, penalty=penalty)
    return state, continual_step(ContinualConfig(batch_size=16), nn.functional.cross_entropy)
