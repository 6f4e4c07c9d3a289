r"""A training step on one task of a sequence, with a consolidation penalty from the earlier
ones, for the general loop (Life-long Learning lecture).

Each step: 1. draw a mini-batch of the current task from the state's generator; 2. the task
loss, its gradients :math:`g` kept for SI's path integral; 3. the penalty's gradients added
(EWC, MAS, SI, or none: plain fine-tuning); 4. the optimizer step; 5. SI's
:math:`\omega \mathrel{+}= -g\,\Delta\theta` when the state tracks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require_int
from mllab.lifelong.quadratic_penalty import Consolidation
from mllab.lifelong.synaptic_intelligence import si_path_update
from mllab.train.state import LoopState, transient

__all__ = ["ContinualConfig", "ContinualState", "continual_step"]


@dataclass
class ContinualConfig:
    r"""The step's settings; validated."""

    batch_size: int = 32
    """Examples per step (>= 1)."""

    def __post_init__(self) -> None:
        require_int("batch_size", self.batch_size, 1)


@dataclass(kw_only=True)
class ContinualState(LoopState):
    r"""What training on the current task changes; the data and the penalty are fixed."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    omega: dict[str, Tensor] | None = None
    r"""SI's running path integral :math:`\omega` (zeros at the task's start), or None."""
    x: Tensor = transient()
    y: Tensor = transient()
    penalty: Consolidation | None = transient()
    """The earlier tasks' penalty; None trains plainly (fine-tuning)."""


def continual_step(config: ContinualConfig,
                   loss_fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[ContinualState], dict]:
    r"""The step function for :func:`mllab.train.run_loop`; logs ``loss`` and ``penalty``."""

    def step(s: ContinualState) -> dict:
        # 1. a mini-batch of the current task
        idx = torch.randint(len(s.x), (config.batch_size,), generator=s.generator)
        s.optimizer.zero_grad()
        # 2. the task loss and its gradient g
        loss = loss_fn(s.model(s.x[idx]), s.y[idx])
        loss.backward()
        params = dict(s.model.named_parameters())
        g = {n: p.grad.detach().clone() for n, p in params.items()} if s.omega is not None \
            else None
        # 3. plus the penalty's gradient
        line = {"loss": loss.item()}
        if s.penalty is not None:
            penalty = s.penalty(s.model)
            penalty.backward()
            line["penalty"] = penalty.item()
        # 4. the update
        before = {n: p.detach().clone() for n, p in params.items()} if g is not None else None
        s.optimizer.step()
        # 5. SI: omega += -g * delta theta
        if g is not None:
            si_path_update(s.omega, g, {n: p.detach() - before[n] for n, p in params.items()})
        return line

    return step
