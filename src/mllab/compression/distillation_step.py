r"""The teacher-student step of knowledge distillation, for the general loop (Network
Compression lecture; arXiv:1503.02531).

Each step: 1. draw a mini-batch from the state's generator; 2. the teacher's logits, without
gradient (the teacher is fixed); 3. the student's :func:`~mllab.compression.distillation_loss`
(soft targets at temperature :math:`T`, weight :math:`\alpha`, the hard labels for the rest);
4. the student's optimizer step. The teacher and the data are transient: a checkpoint holds
the student, its optimizer and the generator, so a killed run resumes exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.compression.distillation import distillation_loss
from mllab.config import is_real, require, require_int
from mllab.train.state import LoopState, transient

__all__ = ["DistillationConfig", "DistillationState", "distillation_step"]


@dataclass
class DistillationConfig:
    r"""The step's settings; validated."""

    T: float = 4.0
    """The temperature (> 0)."""
    alpha: float = 0.9
    """Weight of the soft term, in [0, 1]; 1 - alpha goes to the hard labels."""
    batch_size: int = 64
    """Examples per step (>= 1)."""
    log_every: int = 1
    """Return the loss every this many steps (>= 1); the others return None."""

    def __post_init__(self) -> None:
        require(is_real(self.T) and self.T > 0, "T", "a number > 0", self.T)
        require(is_real(self.alpha) and 0 <= self.alpha <= 1, "alpha", "a number in [0, 1]",
                self.alpha)
        require_int("batch_size", self.batch_size, 1)
        require_int("log_every", self.log_every, 1)


@dataclass(kw_only=True)
class DistillationState(LoopState):
    r"""What training the student changes; the teacher and the data are fixed."""

    student: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    teacher: nn.Module = transient()
    """The trained teacher, evaluated in eval mode without gradient."""
    x: Tensor = transient()
    y: Tensor = transient()


def distillation_step(config: DistillationConfig
                      ) -> Callable[[DistillationState], dict | None]:
    r"""The step function for :func:`mllab.train.run_loop`; logs ``loss`` every
    ``config.log_every`` steps."""

    def step(s: DistillationState) -> dict | None:
        # 1. a mini-batch
        idx = torch.randint(len(s.x), (config.batch_size,), generator=s.generator)
        x, y = s.x[idx], s.y[idx]
        # 2. the teacher's logits, fixed
        s.teacher.eval()
        with torch.no_grad():
            teacher_logits = s.teacher(x)
        # 3. the student's distillation loss
        s.student.train()
        loss = distillation_loss(s.student(x), teacher_logits, config.T, y, config.alpha)
        # 4. the student's update
        s.optimizer.zero_grad()
        loss.backward()
        s.optimizer.step()
        if s.step % config.log_every != config.log_every - 1:
            return None
        return {"loss": loss.item()}

    return step
