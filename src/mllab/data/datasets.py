r"""Small real datasets shipped inside scikit-learn, split into train / valid / test.

Lecture 1 (regression) fits a model :math:`y = b + \sum_j w_j x_j` on training data, picks
hyper-parameters on held-out data and reports the error on data never used for either. This
module provides those three splits for the datasets bundled with scikit-learn (no downloads):

=================  ==============  =====  ===  ========
name               task            N      C    classes
=================  ==============  =====  ===  ========
``diabetes``       regression      442    10   --
``breast_cancer``  classification  569    30   2
``iris``           classification  150    4    3
``wine``           classification  178    13   3
``digits``         classification  1797   64   10
=================  ==============  =====  ===  ========

A split is a function of the seed alone: one permutation drawn from
``torch.Generator().manual_seed(seed)``. Classification datasets are split stratified by class
(each class contributes :math:`\mathrm{round}(N_c f)` samples to a split of fraction :math:`f`),
so class proportions match across splits.

Differences from the course: the lecture's data (daily views of a YouTube channel) are not
public; :mod:`mllab.data.synthetic` generates a synthetic stand-in. Only the inputs are
standardized, never the regression target.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.data.scaling import Standardizer

__all__ = ["DATASETS", "Split", "load_dataset", "raw_diabetes", "split_indices"]

DATASETS: tuple[str, ...] = ("diabetes", "breast_cancer", "iris", "wine", "digits")
_REGRESSION = frozenset({"diabetes"})


@dataclass(frozen=True, eq=False)
class Split:
    r"""A dataset split into training, validation and test parts.

    Shapes: ``x_*`` is (N, C) floating point; ``y_*`` is (N,), floating point for regression
    and ``int64`` class labels in :math:`\{0, \dots, K-1\}` for classification.
    """

    x_train: Tensor
    """Training inputs, (N_train, C); standardized with their own statistics if asked."""
    y_train: Tensor
    """Training targets, (N_train,)."""
    x_valid: Tensor
    """Validation inputs, (N_valid, C); standardized with the *training* statistics."""
    y_valid: Tensor
    """Validation targets, (N_valid,)."""
    x_test: Tensor
    """Test inputs, (N_test, C); standardized with the *training* statistics."""
    y_test: Tensor
    """Test targets, (N_test,)."""
    feature_names: tuple[str, ...]
    """Names of the C input features, in column order."""
    task: str
    """``"regression"`` or ``"classification"``."""
    num_classes: int
    """Number of classes K for classification; 0 for regression."""
    scaler: Standardizer | None
    """The :class:`Standardizer` fitted on ``x_train``, or ``None`` if not standardized."""

    @property
    def num_features(self) -> int:
        """Number of input features C."""
        return self.x_train.shape[1]


def _check_fractions(valid_fraction: float, test_fraction: float) -> None:
    for arg, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{arg} must be in [0, 1), got {value}")
    if valid_fraction + test_fraction >= 1.0:
        raise ValueError(
            "valid_fraction + test_fraction must be < 1 so that training data remain, got "
            f"{valid_fraction} + {test_fraction} = {valid_fraction + test_fraction}"
        )


def split_indices(
    y: Tensor,
    *,
    generator: torch.Generator,
    valid_fraction: float = 0.2,
    test_fraction: float = 0.2,
    stratify: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Random disjoint train / valid / test indices covering :math:`\{0, \dots, N-1\}`.

    One permutation :math:`\pi` is drawn from ``generator``. Walking along :math:`\pi`, each
    group (the whole dataset, or each class when ``stratify``) of size :math:`N_g` sends its
    first :math:`\mathrm{round}(N_g f_\text{test})` members to test, the next
    :math:`\mathrm{round}(N_g f_\text{valid})` to valid and the rest to train. Each split keeps
    the order of :math:`\pi`, so classes are interleaved.

    Args:
        y: Targets, shape (N,); only read (as class labels) when ``stratify``.
        generator: Source of the permutation.
        valid_fraction: Fraction :math:`f_\text{valid}` in [0, 1) for validation.
        test_fraction: Fraction :math:`f_\text{test}` in [0, 1) for test; the sum must be < 1.
        stratify: Split each class separately so class proportions match across splits.

    Returns:
        ``(train_idx, valid_idx, test_idx)``, ``int64`` tensors.
    """
    _check_fractions(valid_fraction, test_fraction)
    n = y.shape[0]
    perm = torch.randperm(n, generator=generator)  # (N,)
    groups = [torch.ones(n, dtype=torch.bool)]
    if stratify:
        y_perm = y[perm]
        groups = [y_perm == c for c in torch.unique(y_perm)]
    part = torch.zeros(n, dtype=torch.int64)  # 0 train, 1 valid, 2 test, per position in perm
    for in_group in groups:
        positions = torch.nonzero(in_group).squeeze(1)
        n_test = round(positions.numel() * test_fraction)
        n_valid = round(positions.numel() * valid_fraction)
        part[positions[:n_test]] = 2
        part[positions[n_test : n_test + n_valid]] = 1
    if not bool((part == 0).any()):
        raise ValueError(f"no training samples left for N={n} with these fractions")
    return perm[part == 0], perm[part == 1], perm[part == 2]


def _load_arrays(name: str) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    """Read one bundled scikit-learn dataset as float64 inputs and raw targets."""
    from sklearn import datasets as sk_datasets  # lazy: keeps `import mllab` fast

    bunch = getattr(sk_datasets, f"load_{name}")()
    x = torch.as_tensor(bunch.data, dtype=torch.float64)  # (N, C)
    y = torch.as_tensor(bunch.target)  # (N,)
    return x, y, tuple(str(f) for f in bunch.feature_names)


def load_dataset(
    name: str,
    *,
    seed: int,
    valid_fraction: float = 0.2,
    test_fraction: float = 0.2,
    standardize: bool = True,
    dtype: torch.dtype = torch.float32,
) -> Split:
    r"""Load a scikit-learn dataset and split it deterministically.

    With ``standardize``, a :class:`Standardizer` is fitted on the training inputs only and
    applied to all three splits, :math:`\tilde{x} = (x - \mu_\text{train})/\sigma_\text{train}`
    (computed in float64, then cast to ``dtype``).

    Args:
        name: One of :data:`DATASETS`.
        seed: Seed of the ``torch.Generator`` that draws the split.
        valid_fraction: Fraction of samples for validation, in [0, 1).
        test_fraction: Fraction of samples for test, in [0, 1); the sum must be < 1.
        standardize: Standardize the inputs with training statistics.
        dtype: Floating dtype of the inputs (and of the regression target).

    Returns:
        The :class:`Split`.

    Raises:
        ValueError: Unknown ``name``, fractions out of range, or non-floating ``dtype``.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    _check_fractions(valid_fraction, test_fraction)
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating point dtype, got {dtype}")
    x, y, feature_names = _load_arrays(name)
    task = "regression" if name in _REGRESSION else "classification"
    if task == "regression":
        y, num_classes = y.to(dtype), 0
    else:
        y = y.to(torch.int64)
        num_classes = int(y.max()) + 1
    generator = torch.Generator().manual_seed(seed)
    idx = split_indices(
        y,
        generator=generator,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
        stratify=task == "classification",
    )
    xs = [x[i] for i in idx]  # train, valid, test; each (N_split, C) float64
    scaler = None
    if standardize:
        scaler = Standardizer().fit(xs[0])
        xs = [scaler.transform(xi) for xi in xs]
    x_train, x_valid, x_test = (xi.to(dtype) for xi in xs)
    y_train, y_valid, y_test = (y[i] for i in idx)
    return Split(
        x_train=x_train,
        y_train=y_train,
        x_valid=x_valid,
        y_valid=y_valid,
        x_test=x_test,
        y_test=y_test,
        feature_names=feature_names,
        task=task,
        num_classes=num_classes,
        scaler=scaler,
    )


def raw_diabetes(seed: int) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    r"""The training split of scikit-learn's diabetes data with the RAW feature values
    (``load_diabetes(scaled=False)``), split as :func:`mllab.data.load_dataset` splits it.

    Returns ``x`` (N, 10) and ``y`` (N,) in float64, and the feature names.
    """
    from sklearn.datasets import load_diabetes  # lazy: keeps import cheap

    bunch = load_diabetes(scaled=False)
    x = torch.as_tensor(bunch.data, dtype=torch.float64)  # (442, 10)
    y = torch.as_tensor(bunch.target, dtype=torch.float64)  # (442,)
    train, _, _ = split_indices(y, generator=torch.Generator().manual_seed(seed))
    return x[train], y[train], tuple(bunch.feature_names)
