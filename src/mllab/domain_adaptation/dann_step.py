r"""One step of DANN training (arXiv:1505.07818, Algorithm 1) for the general loop.

Each step draws a labelled source batch and an unlabelled target batch and takes one
gradient step on

.. math:: E = \underbrace{e(y^s, G_y(G_f(x^s)))}_{\text{label}}
          + \underbrace{\operatorname{BCE}(G_d(R_\lambda(G_f(x)), d)}_{\text{domain}}
          + \beta\, H\big(G_y(G_f(x^t))\big)

with :math:`d = 0` for the source and 1 for the target. Through the reversal layer
:math:`R_\lambda` the domain classifier descends the domain loss while the extractor ascends
it scaled by :math:`\lambda_p` (:func:`~mllab.domain_adaptation.dann_lambda`, progress
:math:`p = \text{step} / \text{total\_steps}`); :math:`\beta > 0` adds the entropy of the
target predictions (:func:`~mllab.domain_adaptation.prediction_entropy`). With
``domain_weight=0`` and ``entropy_weight=0`` it is source-only training.

Differences from the paper: the paper also anneals the learning rate
(:math:`\mu_p = \mu_0 / (1 + \alpha p)^\beta`); that is the optimizer's scheduler here, if any.
Batches come from the state's ``generator`` (with replacement), so a killed run resumes
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.config import is_real, require, require_int
from mllab.domain_adaptation.dann import DANN, dann_lambda
from mllab.domain_adaptation.entropy import prediction_entropy
from mllab.train.loop import LoopState, Step, transient

__all__ = ["DANNState", "DANNStepConfig", "dann_step"]


@dataclass
class DANNStepConfig:
    r"""What one step of :func:`dann_step` does; validated."""

    total_steps: int = 1000
    """Steps of the whole run (>= 1): the progress :math:`p` is step / total_steps."""
    batch_size: int = 64
    """Source and target examples per step, each (>= 1)."""
    gamma: float = 10.0
    """The schedule's :math:`\\gamma` (> 0); the paper's 10."""
    domain_weight: float = 1.0
    """Multiplies :math:`\\lambda_p` (>= 0); 0 switches domain adversarial training off."""
    entropy_weight: float = 0.0
    """:math:`\\beta` (>= 0): the weight of the target predictions' entropy."""

    def __post_init__(self) -> None:
        require_int("total_steps", self.total_steps, 1)
        require_int("batch_size", self.batch_size, 1)
        require(is_real(self.gamma) and self.gamma > 0, "gamma", "a number > 0", self.gamma)
        require(is_real(self.domain_weight) and self.domain_weight >= 0, "domain_weight",
                "a number >= 0", self.domain_weight)
        require(is_real(self.entropy_weight) and self.entropy_weight >= 0, "entropy_weight",
                "a number >= 0", self.entropy_weight)


@dataclass
class DANNState(LoopState):
    r"""What DANN training changes, and the two domains' data."""

    model: DANN
    opt: torch.optim.Optimizer
    generator: torch.Generator
    """Draws the source and target batches."""
    x_source: Tensor = transient()
    """Source inputs ``(N, ...)`` (not checkpointed)."""
    y_source: Tensor = transient()
    """Their labels ``(N,)`` (not checkpointed)."""
    x_target: Tensor = transient()
    """Unlabelled target inputs ``(N', ...)`` (not checkpointed)."""


def _draw(x: Tensor, B: int, generator: torch.Generator) -> Tensor:
    return torch.randint(len(x), (B,), generator=generator).to(x.device)


def dann_step(config: DANNStepConfig) -> Step:
    r"""The ``step`` of :func:`mllab.train.run_loop` for a :class:`DANNState`. Logs
    ``loss_y``, ``loss_d``, ``entropy``, ``lambda`` and the domain classifier's accuracy
    ``acc_d``."""
    B = config.batch_size

    def step(s: DANNState) -> dict:
        s.model.train()
        p = min(s.step / config.total_steps, 1.0)
        s.model.grl.lambda_ = config.domain_weight * dann_lambda(p, config.gamma)
        i, j = _draw(s.x_source, B, s.generator), _draw(s.x_target, B, s.generator)
        x = torch.cat([s.x_source[i], s.x_target[j]])  # (2B, ...)
        d = torch.cat([torch.zeros(B), torch.ones(B)]).to(x.device, x.dtype)  # source 0
        class_logits, domain_logits = s.model(x)
        loss_y = F.cross_entropy(class_logits[:B], s.y_source[i])  # labelled source only
        loss_d = F.binary_cross_entropy_with_logits(domain_logits, d)
        entropy = prediction_entropy(class_logits[B:])  # H on the target
        loss = loss_y + loss_d + config.entropy_weight * entropy
        s.opt.zero_grad(set_to_none=True)
        loss.backward()
        s.opt.step()
        acc_d = ((domain_logits > 0).to(d.dtype) == d).float().mean()
        return {"loss_y": loss_y.item(), "loss_d": loss_d.item(), "entropy": entropy.item(),
                "lambda": s.model.grl.lambda_, "acc_d": acc_d.item()}

    return step
