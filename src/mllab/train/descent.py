r"""Descending a loss given as a function of the parameters themselves, on the general loop.

The optimization lectures draw loss curves and surfaces :math:`L(\theta)` (a bowl with a
bump, an elongated bowl) and follow an optimizer over them. There is no data and no model:
:math:`\theta` is the model. One step is one full-batch update

.. math:: \theta^{t+1} = \mathrm{update}(\theta^t, \nabla L(\theta^t)),

for any ``torch.optim.Optimizer`` (and LR scheduler, stepped after each update). Through
:func:`mllab.train.run_loop` a descent checkpoints and resumes exactly like any training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from mllab.train.loop import LoopState, Step

__all__ = ["DescentState", "descent_step"]


@dataclass
class DescentState(LoopState):
    r"""The parameters :math:`\theta` (a leaf tensor that ``optimizer`` updates, e.g.
    ``torch.tensor(theta0, dtype=torch.float64, requires_grad=True)``), the optimizer and
    an optional scheduler."""

    theta: Tensor
    optimizer: torch.optim.Optimizer
    scheduler: Any = None


def descent_step(loss: Callable[[Tensor], Tensor]) -> Step:
    r"""The step of a descent on ``loss``; it logs :math:`L(\theta^t)` (before the update) as
    ``train_loss``, the rate used and :math:`\theta^{t+1}` (a float, or a list)."""

    def step(s: DescentState) -> dict:
        value = loss(s.theta)
        s.optimizer.zero_grad(set_to_none=True)
        value.backward()
        lr = s.optimizer.param_groups[0]["lr"]
        s.optimizer.step()
        if s.scheduler is not None:
            s.scheduler.step()
        return {"train_loss": value.item(), "lr": lr, "theta": s.theta.tolist()}

    return step
