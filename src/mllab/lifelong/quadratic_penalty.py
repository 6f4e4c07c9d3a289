r"""The quadratic penalty that EWC, MAS and SI share (Life-long Learning lecture).

After task :math:`A`, each parameter :math:`\theta_i` is tied to its value
:math:`\theta^*_i` with a strength :math:`b_i`, its importance for the earlier tasks:

.. math:: L'(\theta) = L_B(\theta) + \lambda \sum_i b_i (\theta_i - \theta^*_i)^2

The three methods differ in :math:`b_i` (EWC: the Fisher diagonal, MAS: the output's
sensitivity, SI: the path integral of the loss change) and in the factor in front
(:math:`\lambda/2` for EWC, :math:`\lambda` for MAS, :math:`c` for SI).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["Consolidation", "quadratic_penalty", "snapshot"]


def snapshot(model: nn.Module) -> dict[str, Tensor]:
    r""":math:`\theta^*`: a detached copy of every parameter of ``model``, by name."""
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def quadratic_penalty(params: dict[str, Tensor], anchor: dict[str, Tensor],
                      importance: dict[str, Tensor], strength: float) -> Tensor:
    r""":math:`\text{strength} \cdot \sum_i b_i (\theta_i - \theta^*_i)^2` over the names in
    ``importance``."""
    terms = [(importance[n] * (params[n] - anchor[n]) ** 2).sum() for n in importance]
    return strength * torch.stack(terms).sum()


@dataclass
class Consolidation:
    r"""A penalty ready for a step: anchor :math:`\theta^*`, importances :math:`b`, factor."""

    anchor: dict[str, Tensor]
    importance: dict[str, Tensor]
    strength: float

    def __call__(self, model: nn.Module) -> Tensor:
        return quadratic_penalty(dict(model.named_parameters()), self.anchor, self.importance,
                                 self.strength)

    def merged(self, other: Consolidation) -> Consolidation:
        r"""Both penalties as one (after a third task): the sum of the two quadratics,
        :math:`b = b_1 + b_2` and the anchor their importance-weighted mean, up to a constant;
        both must have the same strength."""
        if self.strength != other.strength:
            raise ValueError("merging needs the same strength")
        importance = {n: self.importance[n] + other.importance[n] for n in self.importance}
        anchor = {n: (self.importance[n] * self.anchor[n] + other.importance[n] * other.anchor[n])
                  / importance[n].clamp_min(torch.finfo(importance[n].dtype).tiny)
                  for n in self.importance}
        return Consolidation(anchor, importance, self.strength)
