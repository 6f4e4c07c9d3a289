r"""The penalties of Lecture 1's regularization: L1 and L2 on the weights, never the biases.

.. math:: L'(\theta) = L(\theta) + \lambda_1 \sum_i |w_i| + \frac{\lambda_2}{2} \sum_i w_i^2

over the parameters with two or more dimensions (the weights).

**One L2 convention.** The :math:`\frac{1}{2}` makes ``l2=λ`` add :math:`\lambda w` to each
weight's gradient, exactly what an optimizer's ``weight_decay=λ`` adds (``torch.optim`` and
:mod:`mllab.optim`, for every parameter, biases included) and what the classifiers' ``l2=λ``
minimises (:math:`\frac{\lambda}{2}\lVert w\rVert^2`, :mod:`mllab.classify`). So
``TrainConfig(l2=λ)`` trains exactly as ``weight_decay=λ`` on a parameter group of the weights
alone.
"""

from __future__ import annotations

from torch import Tensor, nn


def weight_penalty(model: nn.Module, l1: float, l2: float) -> Tensor | float:
    r""":math:`\lambda_1 \sum |w| + \frac{\lambda_2}{2} \sum w^2` over parameters with
    ndim >= 2 (the weights; biases are never penalised)."""
    weights = [p for p in model.parameters() if p.ndim >= 2]
    penalty: Tensor | float = 0.0
    if l1:
        penalty = penalty + l1 * sum(w.abs().sum() for w in weights)
    if l2:
        penalty = penalty + l2 / 2 * sum(w.square().sum() for w in weights)
    return penalty
