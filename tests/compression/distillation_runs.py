"""A teacher-student run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_distillation_step.py``): a small MLP student distilled from a wider fixed teacher at
T = 4, alpha = 0.7, Adam.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mllab.compression import DistillationConfig, DistillationState, distillation_step
from mllab.train import seed_everything


def run() -> tuple[DistillationState, Callable]:
    seed_everything(6)
    g = torch.Generator().manual_seed(6)
    x = torch.randn(128, 4, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    teacher = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    student = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    state = DistillationState(student=student,
                              optimizer=torch.optim.Adam(student.parameters(), lr=1e-2),
                              generator=torch.Generator().manual_seed(7), teacher=teacher,
                              x=x, y=y)
    return state, distillation_step(DistillationConfig(T=4.0, alpha=0.7, batch_size=16))
