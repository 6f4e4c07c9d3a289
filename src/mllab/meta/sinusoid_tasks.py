r"""The MAML paper's few-shot regression tasks (Finn et al., arXiv:1703.03400, §5.1): SYNTHETIC
sinusoids :math:`y = A \sin(x - \varphi)` with the amplitude :math:`A \sim U[0.1, 5]` and the
phase :math:`\varphi \sim U[0, \pi]` drawn per task, and inputs :math:`x \sim U[-5, 5]`.
"""

from __future__ import annotations

import math

import torch

from mllab.config import require_int
from mllab.meta.maml import Task

__all__ = ["sinusoid_tasks"]


def sinusoid_tasks(generator: torch.Generator, n: int, k_support: int, k_query: int,
                   dtype: torch.dtype = torch.float32) -> list[Task]:
    r"""``n`` tasks, each with ``k_support`` support and ``k_query`` query points ``(k, 1)``."""
    for name, value in (("n", n), ("k_support", k_support), ("k_query", k_query)):
        require_int(name, value, 1)
    tasks = []
    for _ in range(n):
        A = 0.1 + 4.9 * torch.rand(1, generator=generator, dtype=dtype)
        phase = math.pi * torch.rand(1, generator=generator, dtype=dtype)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator, dtype=dtype) - 5
        y = A * torch.sin(x - phase)  # (k_support + k_query, 1)
        tasks.append(Task(x[:k_support], y[:k_support], x[k_support:], y[k_support:]))
    return tasks
