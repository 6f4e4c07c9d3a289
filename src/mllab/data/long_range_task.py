r"""SYNTHETIC sequence labelling whose labels depend on one token far away (the Self-attention
lecture's "consider the whole sequence" argument).

Every sequence has :math:`T` tokens. One position :math:`p`, drawn uniformly, holds a *cue*
token carrying a class :math:`c \in \{0..K-1\}`; every other position holds a *filler*
:math:`f_t \in \{0..K-1\}`, drawn uniformly and independently. Token ids: fillers are
:math:`0..K-1`, the cue of class :math:`c` is :math:`K + c` (a vocabulary of :math:`2K`).
The label of every position needs the cue:

.. math:: y_t = (f_t + c) \bmod K \quad (t \ne p), \qquad y_p = c,

and the *distance* of position :math:`t` is :math:`|t - p|`, how far away the information
it needs lies. A model that sees only the tokens :math:`t - w .. t + w` cannot know
:math:`c` when :math:`|t - p| > w`: there the fillers it sees are independent of :math:`c`,
and :math:`y_t` given them is uniform over the :math:`K` classes, so its best accuracy is
the chance level :math:`1/K` (by construction).

Everything here is generated, not measured; randomness comes only from ``generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["LongRangeTask", "accuracy_by_distance", "long_range_task", "long_range_vocab"]


@dataclass(frozen=True)
class LongRangeTask:
    r"""One SYNTHETIC sample of :func:`long_range_task`."""

    x: Tensor
    """Token ids ``(N, T)``, int64 in ``[0, 2K)``."""
    y: Tensor
    """Labels ``(N, T)``, int64 in ``[0, K)``."""
    distance: Tensor
    """``(N, T)``: :math:`|t - p|`, the distance from each position to its sequence's cue."""
    cue_position: Tensor
    """``(N,)``: the cue's position :math:`p` in each sequence."""


def long_range_vocab(classes: int) -> int:
    r"""Size of the vocabulary of :func:`long_range_task`: :math:`K` fillers and :math:`K`
    cues."""
    return 2 * classes


def long_range_task(n: int, length: int, classes: int, *,
                    generator: torch.Generator) -> LongRangeTask:
    r"""``n`` SYNTHETIC sequences of ``length`` tokens with :math:`K` = ``classes`` labels.

    .. math:: y_t = (f_t + c) \bmod K \ (t \ne p), \qquad y_p = c, \qquad
        \mathrm{distance}_t = |t - p|

    Args:
        n: Sequences (>= 1).
        length: Tokens per sequence :math:`T` (>= 1).
        classes: Classes :math:`K` (>= 2).
        generator: The only source of randomness.
    """
    if n < 1 or length < 1 or classes < 2:
        raise ValueError(f"need n >= 1, length >= 1 and classes >= 2, got n={n}, "
                         f"length={length}, classes={classes}")
    K = classes
    f = torch.randint(0, K, (n, length), generator=generator)  # (N, T) fillers
    c = torch.randint(0, K, (n,), generator=generator)  # (N,) the cue's class
    p = torch.randint(0, length, (n,), generator=generator)  # (N,) the cue's position
    t = torch.arange(length)
    at_cue = t[None, :] == p[:, None]  # (N, T)
    x = torch.where(at_cue, K + c[:, None], f)
    y = torch.where(at_cue, c[:, None], (f + c[:, None]) % K)  # y_t = (f_t + c) mod K
    distance = (t[None, :] - p[:, None]).abs()  # (N, T)
    return LongRangeTask(x=x, y=y, distance=distance, cue_position=p)


def accuracy_by_distance(predicted: Tensor, y: Tensor, distance: Tensor,
                         max_distance: int) -> list[float]:
    r"""Accuracy of the positions at each distance :math:`d = 0..` ``max_distance`` from their
    cue: :math:`\frac{\#\{\hat y_t = y_t,\ |t - p| = d\}}{\#\{|t - p| = d\}}` (NaN where no
    position lies at that distance).

    Args:
        predicted: Predicted labels ``(N, T)``.
        y: True labels ``(N, T)``.
        distance: :attr:`LongRangeTask.distance`, ``(N, T)``.
        max_distance: The largest distance reported (>= 0).
    """
    d = distance.flatten().long()
    keep = d <= max_distance
    correct = (predicted == y).flatten()[keep].double()
    hits = torch.zeros(max_distance + 1, dtype=torch.float64).index_add_(0, d[keep], correct)
    total = torch.bincount(d[keep], minlength=max_distance + 1).double()
    return (hits / total).tolist()  # 0/0 = NaN where no position lies at distance d
