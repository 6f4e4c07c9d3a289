r"""Training a likelihood-based generator on the general loop: one step of maximum likelihood
(or of its lower bound) on a batch drawn from the data.

The VAE maximises the ELBO, a lower bound of :math:`\log p_\theta(x)` (arXiv:1312.6114,
Eq. 3); a flow maximises :math:`\log p_\theta(x)` itself (RealNVP, arXiv:1605.08803, Eq. 3).
Either way one step is

.. math:: \theta \leftarrow \mathrm{update}\Big(\theta, \nabla_\theta\, \frac1B \sum_{i=1}^B
    -\ell_\theta(x_i)\Big), \qquad x_i \sim \text{data},

with :math:`\ell` the ELBO (:func:`vae_nll`) or the exact log-likelihood (:func:`flow_nll`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require_int
from mllab.train.loop import LoopState, Step, transient

__all__ = ["DensityState", "density_step", "flow_nll", "vae_nll"]

Objective = Callable[[nn.Module, Tensor, torch.Generator], Tensor]
r"""``(model, x, generator) -> (B,)``: :math:`-\ell_\theta(x_i)` per example."""


def vae_nll(model: nn.Module, x: Tensor, generator: torch.Generator) -> Tensor:
    r""":math:`-\mathcal{L}(x)`, the negative ELBO with one :math:`z` per example (an upper
    bound on :math:`-\log p_\theta(x)`), ``(B,)``."""
    return -model(x, generator=generator).elbo


def flow_nll(model: nn.Module, x: Tensor, generator: torch.Generator) -> Tensor:
    r""":math:`-\log p_\theta(x)`, exact, ``(B,)``; ``generator`` is not used."""
    return -model.log_prob(x)


@dataclass
class DensityState(LoopState):
    r"""What training a density model changes, and the data it draws from."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    r"""Draws each step's batch (and the VAE's :math:`z`)."""
    data: Tensor = transient()
    r"""The training examples ``(N, ...)`` (not checkpointed)."""


def density_step(objective: Objective, batch_size: int) -> Step:
    r"""One update on ``batch_size`` examples drawn with replacement; logs ``train_loss``, the
    batch's mean of ``objective`` (before the update)."""
    require_int("batch_size", batch_size, 1)

    def step(s: DensityState) -> dict:
        x = s.data[torch.randint(len(s.data), (batch_size,), generator=s.generator)]
        s.model.train()
        loss = objective(s.model, x, s.generator).mean()
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        return {"train_loss": loss.item()}

    return step
