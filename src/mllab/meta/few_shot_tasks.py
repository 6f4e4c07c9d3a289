r"""N-way K-shot classification tasks drawn from a labelled set (the Meta Learning lecture's
few-shot protocol, as Omniglot's in the MAML paper): each task picks ``n_way`` of the given
classes, relabels them :math:`0, \dots, N-1` in a random order, and draws ``k_shot`` support and
``k_query`` query examples of each, without overlap.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require, require_int
from mllab.meta.maml import Task

__all__ = ["few_shot_tasks"]


def few_shot_tasks(x: Tensor, y: Tensor, classes: list[int], generator: torch.Generator, n: int,
                   n_way: int, k_shot: int, k_query: int) -> list[Task]:
    r"""``n`` tasks from ``(x (M, ...), y (M,))`` restricted to ``classes``; support
    ``(n_way · k_shot, ...)``, query ``(n_way · k_query, ...)``."""
    for name, value in (("n", n), ("n_way", n_way), ("k_shot", k_shot), ("k_query", k_query)):
        require_int(name, value, 1)
    require(n_way <= len(classes), "n_way", f"<= the {len(classes)} classes given", n_way)
    members = {c: (y == c).nonzero().squeeze(1) for c in classes}
    for c, idx in members.items():
        require(len(idx) >= k_shot + k_query, "k_shot + k_query",
                f"<= the {len(idx)} examples of class {c}", k_shot + k_query)
    tasks = []
    for _ in range(n):
        chosen = [classes[i] for i in torch.randperm(len(classes), generator=generator)[:n_way]]
        support, query = [], []
        for label, c in enumerate(chosen):
            idx = members[c][torch.randperm(len(members[c]), generator=generator)]
            support.append((idx[:k_shot], label))
            query.append((idx[k_shot:k_shot + k_query], label))

        def stack(parts: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor]:
            idx = torch.cat([i for i, _ in parts])
            labels = torch.cat([torch.full((len(i),), lab) for i, lab in parts])
            return x[idx], labels

        tasks.append(Task(*stack(support), *stack(query)))
    return tasks
