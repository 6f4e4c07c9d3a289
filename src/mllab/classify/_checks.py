r"""Input checks shared by the classifiers of :mod:`mllab.classify` (not public API).

Inputs may be tensors or what ``numpy.asarray`` reads (arrays, lists): the latter become
tensors sharing the array's memory where they can.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor


def as_tensor(a: Any) -> Any:
    r"""``a`` itself if it is a tensor; a numeric array-like as a tensor (no copy for a
    contiguous numpy array); anything else unchanged, for the caller's message."""
    if isinstance(a, Tensor):
        return a
    try:
        array = np.asarray(a)
    except (TypeError, ValueError):
        return a
    if array.dtype.kind not in "biuf":
        return a
    array = np.ascontiguousarray(array)
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def check_features(x: Any, num_features: int | None = None) -> Tensor:
    r"""Return the inputs as float64, after checking that they are a floating (N, C) matrix.

    Args:
        x: Inputs, shape (N, C), floating point: a tensor or a numpy array.
        num_features: Expected C (the number seen by ``fit``), or None to accept any.

    Returns:
        ``x`` as a float64 tensor, shape (N, C).

    Raises:
        ValueError: if ``x`` is not 2-D, not floating point, or has the wrong number of columns.
    """
    x = as_tensor(x)
    if not isinstance(x, Tensor) or x.ndim != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor or array of shape (N, C), got {shape}")
    if not x.is_floating_point():
        raise ValueError(f"x must be floating point, got dtype {x.dtype}")
    if num_features is not None and x.shape[1] != num_features:
        raise ValueError(f"x has {x.shape[1]} features but the model was fitted on {num_features}")
    return x.to(torch.float64)


def check_labels(y: Any, n: int) -> Tensor:
    r"""Return class labels as int64 after checking shape (N,), integer dtype and values >= 0.

    Args:
        y: Class labels :math:`k_n \in \{0, 1, \dots\}`, shape (N,), integer or bool: a
            tensor or a numpy array.
        n: Expected N (the number of rows of ``x``).

    Returns:
        ``y`` as an int64 tensor, shape (N,).

    Raises:
        ValueError: on a wrong shape, a floating dtype, negative labels or N = 0.
    """
    y = as_tensor(y)
    if not isinstance(y, Tensor) or y.ndim != 1 or y.shape[0] != n:
        shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise ValueError(f"y must be a tensor or array of shape (N,) = ({n},) matching x, "
                         f"got {shape}")
    if y.is_floating_point() or y.is_complex():
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    if n == 0:
        raise ValueError("x and y must hold at least one example (N >= 1)")
    y = y.to(torch.int64)
    if bool((y < 0).any()):
        raise ValueError(f"class labels must be >= 0, got min {int(y.min())}")
    return y


def require_fitted(value: object, cls_name: str) -> None:
    r"""Raise if a classifier's parameters are still ``None`` (``fit`` not called yet)."""
    if value is None:
        raise RuntimeError(f"{cls_name} is not fitted; call fit(x, y) first")
