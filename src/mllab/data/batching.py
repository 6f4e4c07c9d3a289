r"""In-memory mini-batching for gradient descent (Lecture 1: batch, update, epoch).

The lecture splits the N training samples into batches of size B; every batch gives one
update :math:`\theta \leftarrow \theta - \eta\, \nabla L_\text{batch}(\theta)`, and one pass
over all :math:`\lceil N/B \rceil` batches is an epoch. Before each epoch the samples are
shuffled. Whole datasets here fit in memory, so batches are index tensors into them; there are
no ``DataLoader`` workers.

Differences from the course: none; the last batch is simply smaller when B does not divide N
(it is not dropped).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["batch_indices", "updates_per_epoch"]


def batch_indices(
    n: int,
    batch_size: int,
    *,
    generator: torch.Generator | None,
    shuffle: bool = True,
) -> list[Tensor]:
    r"""Indices of the batches of one epoch.

    One permutation :math:`\pi` of :math:`\{0, \dots, n-1\}` is drawn (or the identity when
    ``shuffle`` is False) and cut into consecutive chunks of ``batch_size``; the last chunk
    holds the :math:`n - B\lfloor (n-1)/B \rfloor` remaining indices. ``batch_size >= n`` gives
    one full batch, ``batch_size == 1`` gives n single-sample batches (stochastic gradient
    descent). Call once per epoch with the same generator to reshuffle every epoch.

    Args:
        n: Number of samples, >= 0 (0 gives no batches).
        batch_size: Batch size B, >= 1.
        generator: Source of the permutation. ``None`` falls back to torch's global generator
            (as ``torch.randperm`` does); pass a seeded generator for reproducible epochs.
            Not used when ``shuffle`` is False.
        shuffle: Permute the indices; False keeps the order ``0, 1, ..., n-1``.

    Returns:
        List of :math:`\lceil n/B \rceil` ``int64`` tensors, each of shape (B,) except possibly
        the last; together they hold every index exactly once.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if n == 0:
        return []  # torch.split would return one empty chunk
    if shuffle:
        order = torch.randperm(n, generator=generator)  # (n,)
    else:
        order = torch.arange(n)  # (n,)
    return list(torch.split(order, batch_size))


def updates_per_epoch(n: int, batch: int | None) -> int:
    r"""Updates in one epoch of ``n`` examples: :math:`\lceil n / B \rceil` (1 for full batch)."""
    return 1 if batch is None else math.ceil(n / min(batch, n))
