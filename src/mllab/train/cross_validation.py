r"""N-fold cross-validation (Lecture "Training strategy"): split the training data into N
folds, train on N−1 of them and validate on the last, for each fold in turn; the model with
the lowest mean validation loss is chosen, never the one with the best public test score.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.analysis.least_squares import least_squares, linear_mse


def kfold_indices(n: int, k: int, generator: torch.Generator) -> list[Tensor]:
    r"""N-fold cross-validation: a random permutation of :math:`0..n-1` cut into ``k`` folds
    whose sizes differ by at most one. Fold :math:`i` validates the model trained on the
    others."""
    if not 2 <= k <= n:
        raise ValueError(f"k must be in [2, n={n}], got {k}")
    return list(torch.tensor_split(torch.randperm(n, generator=generator), k))


def cross_validation_mse(a: Tensor, y: Tensor, folds: list[Tensor]) -> float:
    r"""Mean over folds of the validation MSE of least squares fitted on the other folds."""
    losses = []
    for i, valid in enumerate(folds):
        train = torch.cat([f for j, f in enumerate(folds) if j != i])
        theta, _ = least_squares(a[train], y[train])
        losses.append(linear_mse(theta, a[valid], y[valid]))
    return sum(losses) / len(losses)
