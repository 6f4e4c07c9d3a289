r"""Univariate feature selection: keep the k features with the largest F statistic (HW1's hint).

HW1's sample code leaves "select useful features" to the student; the usual first answer is
scikit-learn's ``SelectKBest`` with a univariate F test. For regression (``f_regression``)
feature :math:`c` is scored by its correlation :math:`r_c` with the target,

.. math:: r_c = \frac{\sum_n (x_{nc} - \bar{x}_c)(y_n - \bar{y})}
    {\sqrt{\sum_n (x_{nc} - \bar{x}_c)^2}\sqrt{\sum_n (y_n - \bar{y})^2}}, \qquad
    F_c = \frac{r_c^2}{1 - r_c^2}\,(N - 2),

and for classification (``f_classif``) by the one-way ANOVA ratio of between-class to
within-class variance,

.. math:: F_c = \frac{\sum_k N_k (\bar{x}_{kc} - \bar{x}_c)^2 / (K - 1)}
    {\sum_k \sum_{n \in k} (x_{nc} - \bar{x}_{kc})^2 / (N - K)}.

:class:`FeatureSelector` calls ``SelectKBest`` itself, so its scores and its choice are
scikit-learn's, ties and all. Fit it on the TRAINING part only: scoring the features on
validation or test rows leaks their targets into the choice of features.

Differences from the course / scikit-learn: none in the numbers. A constant feature scores
:math:`F = 0` under ``f_regression`` and NaN under ``f_classif``; NaN counts as the lowest
score (scikit-learn's rule) and the warnings scikit-learn raises for constant features are
silenced. The chosen indices are kept in increasing column order, so ``transform`` keeps the
file's column order.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor

from mllab.config import ConfigError, is_int, require

__all__ = ["TASKS", "FeatureSelector"]

TASKS: tuple[str, ...] = ("regression", "classification")


def _check_k(k: Any, num_features: int) -> None:
    require(is_int(k) and 1 <= k <= num_features, "k",
            f"an integer in [1, C={num_features}] (C the number of features)", k)


class FeatureSelector:
    r"""Keep the ``k`` features with the largest F statistic, chosen on training data.

    Attributes:
        k: Number of features kept.
        task: ``"regression"`` (``f_regression``) or ``"classification"`` (``f_classif``).
        scores: F statistic of every feature, (C,) float64; ``None`` before :meth:`fit`.
        indices: The k chosen columns in increasing order, (k,) int64; ``None`` before fit.
    """

    def __init__(self, k: int, task: str = "regression") -> None:
        require(is_int(k) and k >= 1, "k", "an integer >= 1", k)
        require(task in TASKS, "task", f"one of {', '.join(TASKS)}", task)
        self.k = k
        self.task = task
        self.scores: Tensor | None = None
        self.indices: Tensor | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_state`) has set the scores and indices."""
        return self.scores is not None and self.indices is not None

    def fit(self, x: Tensor, y: Tensor) -> FeatureSelector:
        r"""Score every feature on the TRAINING rows and choose the ``k`` best.

        Args:
            x: Training inputs, (N, C) floating point, finite, N >= 3.
            y: Training targets, (N,): real values for regression, integer class labels
                (at least two classes) for classification.

        Returns:
            ``self``, fitted.
        """
        from sklearn.feature_selection import SelectKBest, f_classif, f_regression  # lazy

        _check_xy(x, y, self.task)
        _check_k(self.k, x.shape[1])
        score_func = f_regression if self.task == "regression" else f_classif
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Features .* are constant")
            warnings.filterwarnings("ignore", category=RuntimeWarning)  # 0 / 0 of those
            selector = SelectKBest(score_func, k=self.k).fit(
                x.detach().cpu().double().numpy(), y.detach().cpu().numpy()
            )
        self.scores = torch.as_tensor(selector.scores_, dtype=torch.float64)  # (C,)
        self.indices = torch.as_tensor(selector.get_support(indices=True),
                                       dtype=torch.int64)  # (k,)
        return self

    def transform(self, x: Tensor) -> Tensor:
        r"""The chosen columns, ``x[:, indices]``: (N, C) -> (N, k)."""
        if self.scores is None or self.indices is None:
            raise RuntimeError("FeatureSelector is not fitted; call fit(x_train, y_train) first")
        if x.ndim != 2 or x.shape[1] != self.scores.shape[0]:
            raise ValueError(f"x must have shape (N, {self.scores.shape[0]}), "
                             f"got {tuple(x.shape)}")
        return x[:, self.indices.to(x.device)]

    def fit_transform(self, x: Tensor, y: Tensor) -> Tensor:
        """Fit on ``(x, y)`` and return ``transform(x)``, (N, k)."""
        return self.fit(x, y).transform(x)

    def selected_names(self, names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The names of the chosen columns, given the C names of ``x``'s columns."""
        if self.indices is None:
            raise RuntimeError("FeatureSelector is not fitted; call fit(x_train, y_train) first")
        return tuple(names[i] for i in self.indices.tolist())

    def state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        r"""``(tensors, meta)``: ``scores`` and ``indices`` for a safetensors file, ``k`` and
        ``task`` for JSON; :meth:`from_state` rebuilds the fitted selector from them."""
        if self.scores is None or self.indices is None:
            raise RuntimeError("FeatureSelector is not fitted; nothing to save")
        return ({"scores": self.scores.clone(), "indices": self.indices.clone()},
                {"k": self.k, "task": self.task})

    @classmethod
    def from_state(cls, tensors: dict[str, Tensor], meta: dict[str, Any]) -> FeatureSelector:
        r"""The fitted selector saved by :meth:`state`; a damaged state is a ``ConfigError``."""
        if not isinstance(meta, dict) or not isinstance(tensors, dict):
            raise ConfigError("feature selector state must be (tensors, meta) dictionaries")
        selector = cls(meta.get("k"), meta.get("task"))  # validates k and task
        scores, indices = tensors.get("scores"), tensors.get("indices")
        if not (isinstance(scores, Tensor) and scores.dtype == torch.float64
                and scores.ndim == 1):
            raise ConfigError("feature selector state: scores must be a (C,) float64 tensor")
        _check_k(selector.k, scores.shape[0])
        ok = (isinstance(indices, Tensor) and indices.dtype == torch.int64
              and indices.shape == (selector.k,)
              and bool((indices[1:] > indices[:-1]).all())
              and bool(((indices >= 0) & (indices < scores.shape[0])).all()))
        if not ok:
            raise ConfigError(f"feature selector state: indices must be k={selector.k} "
                              f"increasing int64 columns in [0, {scores.shape[0]})")
        selector.scores, selector.indices = scores.clone(), indices.clone()
        return selector

    def __repr__(self) -> str:
        return f"FeatureSelector(k={self.k}, task={self.task!r}, fitted={self.is_fitted})"


def _check_xy(x: Tensor, y: Tensor, task: str) -> None:
    if not (isinstance(x, Tensor) and x.ndim == 2 and x.is_floating_point()):
        raise ValueError(f"x must be a floating point (N, C) tensor, got {_describe(x)}")
    if not (isinstance(y, Tensor) and y.shape == (x.shape[0],)):
        raise ValueError(f"y must be a ({x.shape[0]},) tensor, got {_describe(y)}")
    if x.shape[0] < 3:  # the data, not the caller, is at fault: one line, as bad input
        raise ConfigError(f"at least 3 training rows are needed to score features, got "
                          f"{x.shape[0]}")
    if not bool(torch.isfinite(x).all()) or (y.is_floating_point()
                                             and not bool(torch.isfinite(y).all())):
        raise ValueError("x and y must be finite (no NaN or inf)")
    if task == "classification":
        if y.is_floating_point() or y.dtype == torch.bool:
            raise ValueError(f"classification needs integer class labels, got {y.dtype}")
        if torch.unique(y).numel() < 2:
            raise ConfigError("classification needs at least 2 classes in the training rows' "
                              "target, got 1")


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"{value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__
