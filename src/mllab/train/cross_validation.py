r"""N-fold cross-validation (Lecture "Training strategy"): split the training data into N
folds, train on N−1 of them and validate on the last, for each fold in turn; the model with
the lowest mean validation loss is chosen, never the one with the best public test score.

:func:`cross_validate` does it for any recipe: everything the recipe fits on data (scaling,
feature selection, the model) is fitted on the N−1 training folds alone, afresh in each fold,
so the held-out fold is truly unseen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class CrossValidation:
    r"""The held-out score of each fold, and their mean and spread."""

    values: tuple[float, ...]
    """Fold :math:`i`'s score on its held-out rows."""
    sizes: tuple[int, ...]
    """Held-out rows per fold."""

    @property
    def mean(self) -> float:
        r"""The cross-validation estimate: the mean of the folds' scores."""
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        r"""The folds' sample standard deviation (:math:`n - 1`)."""
        m = self.mean
        return math.sqrt(sum((v - m) ** 2 for v in self.values) / (len(self.values) - 1))


def cross_validate(recipe: Callable[[Tensor, Tensor, int], Any], x: Tensor, y: Tensor, *,
                   k: int, generator: torch.Generator,
                   score: Callable[[Any, Tensor, Tensor], float] | None = None
                   ) -> CrossValidation:
    r"""K-fold cross-validation of any recipe.

    For each fold :math:`i` of :func:`kfold_indices`: ``model = recipe(x_train, y_train, i)``
    on the other folds' rows, then ``score(model, x_i, y_i)`` on fold :math:`i`'s rows.

    Args:
        recipe: fits a fresh model (with whatever preprocessing it fits) on the rows given.
        x, y: all rows, (N, C) and (N,).
        k: folds, in [2, N].
        generator: draws the folds.
        score: held-out score; default ``model.loss(x, y)`` (as
            :meth:`mllab.train.TabularEstimator.loss`).
    """
    score = score or (lambda model, xv, yv: model.loss(xv, yv))
    folds = kfold_indices(len(x), k, generator)
    values = []
    for i, held_out in enumerate(folds):
        rows = torch.cat([f for j, f in enumerate(folds) if j != i])  # (N - N_i,)
        model = recipe(x[rows], y[rows], i)
        values.append(float(score(model, x[held_out], y[held_out])))
    return CrossValidation(tuple(values), tuple(len(f) for f in folds))
