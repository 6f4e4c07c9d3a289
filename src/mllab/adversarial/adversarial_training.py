r"""Adversarial training: a defence that trains on the attacker's examples (the
adversarial-attack lecture's "proactive defence"; Madry et al., arXiv:1706.06083, Eq. (2.1)):

.. math:: \min_\theta\ \mathbb{E}_{(x, y)}\Big[\max_{\lVert x' - x\rVert \le \varepsilon}
          L(f_\theta(x'), y)\Big]

the inner maximum found by :func:`~mllab.adversarial.pgd` against the current network. Each
step: 1. draw a mini-batch from the state's generator; 2. craft its adversarial examples with
PGD (random start from the same generator, if asked); 3. one optimizer step on the
cross-entropy of the network on them (``mix`` of the clean batch's loss if asked, as
Goodfellow et al., arXiv:1412.6572, §6, mix half and half). Everything random comes from the
state's generator, so a killed run resumes exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.adversarial.pgd import NORMS, pgd
from mllab.config import is_real, require, require_int
from mllab.train.state import LoopState, transient

__all__ = ["AdversarialConfig", "AdversarialState", "adversarial_training_step"]


@dataclass
class AdversarialConfig:
    r"""The attack inside the step and the batch; validated."""

    eps: float = 0.1
    r""":math:`\varepsilon`, the radius of the ball (> 0)."""
    alpha: float = 0.025
    """PGD's step size (> 0)."""
    steps: int = 7
    """PGD's steps (>= 1)."""
    norm: str = "inf"
    """One of :data:`~mllab.adversarial.NORMS`."""
    random_start: bool = True
    """Start PGD at a uniformly random point of the ball (Madry et al.)."""
    mix: float = 0.0
    """Weight of the clean batch's loss, in [0, 1): 0 trains on adversarial examples only."""
    batch_size: int = 64
    """Examples per step (>= 1)."""
    pixel_range: tuple[float, float] = (0.0, 1.0)
    """The valid input range the examples are kept in."""

    def __post_init__(self) -> None:
        for name in ("eps", "alpha"):
            value = getattr(self, name)
            require(is_real(value) and value > 0, name, "a number > 0", value)
        require_int("steps", self.steps, 1)
        require(self.norm in NORMS, "norm", f"one of {', '.join(NORMS)}", self.norm)
        require(is_real(self.mix) and 0 <= self.mix < 1, "mix", "a number in [0, 1)", self.mix)
        require_int("batch_size", self.batch_size, 1)


@dataclass(kw_only=True)
class AdversarialState(LoopState):
    r"""What adversarial training changes; the data are fixed."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws the batches and PGD's random starts."""
    x: Tensor = transient()
    y: Tensor = transient()


def adversarial_training_step(config: AdversarialConfig
                              ) -> Callable[[AdversarialState], dict]:
    r"""The step function for :func:`mllab.train.run_loop`; logs ``loss`` (on the adversarial
    batch) and ``clean_loss``."""

    def step(s: AdversarialState) -> dict:
        # 1. a mini-batch
        idx = torch.randint(len(s.x), (config.batch_size,), generator=s.generator)
        x, y = s.x[idx], s.y[idx]
        # 2. the inner maximum: PGD against the network as it is now
        x_adv = pgd(s.model, x, y, config.eps, config.alpha, config.steps, norm=config.norm,
                    generator=s.generator if config.random_start else None,
                    pixel_range=config.pixel_range)
        # 3. the outer minimum: a step on the adversarial (and clean) loss
        s.model.train()
        loss = F.cross_entropy(s.model(x_adv), y)
        clean = F.cross_entropy(s.model(x), y)
        total = (1 - config.mix) * loss + config.mix * clean
        s.optimizer.zero_grad()
        total.backward()
        s.optimizer.step()
        return {"loss": loss.item(), "clean_loss": clean.item()}

    return step
