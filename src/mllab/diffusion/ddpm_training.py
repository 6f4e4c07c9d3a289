r"""DDPM training: Algorithm 1 of the paper, one step on the general loop.

Ho et al., arXiv:2006.11239, §3.4 and Algorithm 1:

.. code-block:: text

    1: repeat
    2:   x_0 ~ q(x_0)
    3:   t ~ Uniform({1, ..., T})
    4:   ε ~ N(0, I)
    5:   take a gradient descent step on ∇_θ ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²
    6: until converged

Line 5 is the simplified objective :math:`L_\text{simple}` (Eq. 14): the denoiser
:math:`\epsilon_\theta(x_t, t)` predicts the noise that :func:`q_sample` added. The
image-generation lecture stresses the point of line 5: the noise is added in *one* step from
:math:`x_0` (Eq. 4), not by :math:`t` sequential steps.

:class:`DDPMState` holds what training changes; :func:`ddpm_training_step` is a plain
``step`` for :func:`mllab.train.run_loop`. The denoiser is called as ``eps_model(x_t, t)``
with ``t`` the steps ``(B,)`` in ``0..T-1``.

Differences from the paper: the loss is the mean over entries (the paper's norm, scaled by
:math:`1/\dim x`, which only rescales the learning rate); ``x_0`` is a batch drawn uniformly
with replacement from fixed data; no EMA of the weights unless the caller adds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from mllab.config import require_int
from mllab.diffusion.forward_process import q_sample
from mllab.diffusion.noise_schedule import NoiseSchedule
from mllab.train.loop import LoopState, Step, transient

__all__ = ["DDPMState", "ddpm_loss", "ddpm_training_step", "epsilon_loss"]


def epsilon_loss(eps: Tensor, eps_pred: Tensor) -> Tensor:
    r""":math:`\lVert \epsilon - \epsilon_\theta \rVert^2`, the mean over entries (Eq. 14)."""
    return (eps - eps_pred).square().mean()


def ddpm_loss(eps_model: nn.Module, schedule: NoiseSchedule, x0: Tensor, *,
              generator: torch.Generator) -> Tensor:
    r"""Lines 3-5 of Algorithm 1 for a batch ``x0`` ``(B, ...)``: draw :math:`t` and
    :math:`\epsilon` from ``generator``, return :math:`L_\text{simple}`."""
    B = x0.shape[0]
    t = torch.randint(0, schedule.T, (B,), generator=generator, device=x0.device)  # 3: t ~ U
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)  # 4: ε
    xt = q_sample(schedule, x0, t, noise=eps)  # √ᾱ_t x_0 + √(1−ᾱ_t) ε (Eq. 4)
    return epsilon_loss(eps, eps_model(xt, t))  # 5: ‖ε − ε_θ(x_t, t)‖²


@dataclass
class DDPMState(LoopState):
    r"""What DDPM training changes, and the data and schedule it reads."""

    eps_model: nn.Module
    r"""The denoiser :math:`\epsilon_\theta(x_t, t)`."""
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    r"""Draws each step's batch, :math:`t` and :math:`\epsilon`."""
    data: Tensor = transient()
    r"""The training examples :math:`x_0` ``(N, ...)`` (not checkpointed)."""
    schedule: NoiseSchedule | None = transient()
    r"""The noise schedule (derived from the settings; not checkpointed)."""
    scheduler: Any = None
    r"""An optional LR scheduler, stepped after every update."""


def ddpm_training_step(batch_size: int) -> Step:
    r"""One iteration of Algorithm 1 on ``batch_size`` examples; logs ``train_loss`` and
    ``lr`` (before the update)."""
    require_int("batch_size", batch_size, 1)

    def step(s: DDPMState) -> dict:
        idx = torch.randint(0, len(s.data), (batch_size,), generator=s.generator)
        x0 = s.data[idx]  # 2: x_0 ~ q(x_0)
        s.eps_model.train()
        loss = ddpm_loss(s.eps_model, s.schedule, x0, generator=s.generator)
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # 5: ∇_θ ‖ε − ε_θ‖²
        lr = s.optimizer.param_groups[0]["lr"]
        s.optimizer.step()
        if s.scheduler is not None:
            s.scheduler.step()
        return {"train_loss": loss.item(), "lr": lr}

    return step
