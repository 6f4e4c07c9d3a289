r"""A meta-training step on the general loop: sample a meta-batch of tasks, adapt to each
(the inner loop), step the shared initialisation on the query losses (the outer loop).

The state holds the model, the outer optimizer and the generator tasks are drawn with; the
task sampler is a transient field (a function of the generator), so a resumed run draws the
same tasks from the restored generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.meta.maml import Loss, MAMLConfig, Task, maml_loss
from mllab.train.state import LoopState, transient

__all__ = ["MetaState", "meta_step"]


@dataclass(kw_only=True)
class MetaState(LoopState):
    r"""What a meta-training run changes, and the task sampler it draws from."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    sample_tasks: Callable[[torch.Generator], list[Task]] = transient()
    """Draws one meta-batch of tasks from the generator."""


def meta_step(config: MAMLConfig, loss_fn: Loss) -> Callable[[MetaState], dict]:
    r"""The step function of MAML (first-order MAML, ANIL by ``config``) for
    :func:`mllab.train.run_loop`."""

    def step(s: MetaState) -> dict:
        # 1. a meta-batch of tasks
        tasks = s.sample_tasks(s.generator)
        # 2. inner loop per task, query loss after adaptation (Algorithm 1, lines 5-8)
        s.optimizer.zero_grad()
        loss: Tensor = maml_loss(s.model, tasks, loss_fn, config)
        # 3. outer update of theta (line 10)
        loss.backward()
        s.optimizer.step()
        return {"meta_loss": loss.item()}

    return step
