r"""The course's train / validation split of HW1's sample code, indices only.

The homework's sample code holds out a fraction of the training file for validation with

.. code-block:: python

    valid_set_size = int(valid_ratio * len(data_set))
    train_set_size = len(data_set) - valid_set_size
    train_set, valid_set = random_split(data_set, [train_set_size, valid_set_size],
                                        generator=torch.Generator().manual_seed(seed))

:func:`train_valid_split` calls :func:`torch.utils.data.random_split` in exactly that way on
``range(n)`` and returns the two index lists as tensors, so a split here is the split the
sample code would draw for the same ``seed`` (sizes
:math:`N_\text{valid} = \lfloor r N \rfloor`, :math:`N_\text{train} = N - N_\text{valid}`).

Differences from the course: none in the draw; both parts must be non-empty.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import random_split

from mllab.config import ConfigError, is_int, is_real, require

__all__ = ["train_valid_split"]


def train_valid_split(n: int, valid_ratio: float, seed: int) -> tuple[Tensor, Tensor]:
    r"""Random disjoint train / valid indices covering :math:`\{0, \dots, N-1\}`, as HW1 draws.

    Args:
        n: Number of samples N, at least 2.
        valid_ratio: Fraction :math:`r` in (0, 1) held out; :math:`\lfloor r N \rfloor` and
            :math:`N - \lfloor r N \rfloor` must both be at least 1.
        seed: Seed of the ``torch.Generator`` handed to ``random_split``, in
            :math:`[0, 2^{64})`.

    Returns:
        ``(train_idx, valid_idx)``: int64 tensors of sizes :math:`N_\text{train}` and
        :math:`N_\text{valid}`, in ``random_split``'s order.

    Raises:
        ConfigError: An argument out of range, or a split that leaves a part empty.
    """
    require(is_int(n) and n >= 2, "n", "an integer >= 2", n)
    require(is_real(valid_ratio) and 0.0 < valid_ratio < 1.0, "valid_ratio",
            "a number in (0, 1)", valid_ratio)
    require(is_int(seed) and 0 <= seed < 2**64, "seed", "an integer in [0, 2**64)", seed)
    valid_size = int(valid_ratio * n)
    train_size = n - valid_size
    if valid_size < 1 or train_size < 1:
        raise ConfigError(f"valid_ratio must leave both parts non-empty, got {valid_ratio} of "
                          f"n={n}: {train_size} train, {valid_size} valid")
    train_set, valid_set = random_split(
        range(n), [train_size, valid_size], generator=torch.Generator().manual_seed(seed)
    )
    return (torch.tensor(train_set.indices, dtype=torch.int64),
            torch.tensor(valid_set.indices, dtype=torch.int64))
