r"""SYNTHETIC sequence labelling whose information is local, for the Self-attention lecture's
truncated attention.

The lecture truncates self-attention to a window (speech: a phoneme depends on the frames
around it) where the information a label needs lies nearby. Here the label of position
:math:`t` counts the *marker* tokens (id 0) within distance :math:`r` of it:

.. math::
    y_t = \sum_{j = \max(0, t - r)}^{\min(T - 1, t + r)} [\,x_j = 0\,]
    \in \{0, \dots, 2r + 1\}

Tokens are drawn independently; each is the marker with probability ``p_marker``, otherwise a
filler drawn uniformly from ``1 .. V - 1``. Nothing farther than :math:`r` tokens away
matters, so attention truncated to the window :math:`|t - j| \le r` sees everything needed.

Everything here is generated, not measured.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require, require_int

__all__ = ["LOCAL_MARKER", "local_counts", "local_task"]

LOCAL_MARKER = 0
r"""Token id of the marker that the labels count."""


def local_counts(x: Tensor, r: int) -> Tensor:
    r"""Labels :math:`y_t = \#\{j : |j - t| \le r,\ x_j = 0\}` of token ids ``x`` ``(n, T)``."""
    require_int("r", r, 0)
    is_marker = (x == LOCAL_MARKER).double()[:, None, :]  # (n, 1, T)
    ones = torch.ones(1, 1, 2 * r + 1, dtype=torch.float64)
    counts = torch.nn.functional.conv1d(is_marker, ones, padding=r)  # (n, 1, T): window sums
    return counts[:, 0].round().long()  # (n, T)


def local_task(n: int, T: int, vocab: int, r: int, *, generator: torch.Generator,
               p_marker: float = 0.25) -> tuple[Tensor, Tensor]:
    r"""SYNTHETIC: ``n`` sequences labelled per token by the markers within distance ``r``.

    Args:
        n: Number of sequences (>= 1).
        T: Sequence length (>= 1).
        vocab: Vocabulary size :math:`V` (>= 2): the marker 0 and fillers ``1 .. V - 1``.
        r: Radius of the information a label needs (>= 0); classes ``0 .. 2r + 1``.
        generator: The only source of randomness.
        p_marker: Probability that a token is the marker, in (0, 1).

    Returns:
        ``x`` token ids ``(n, T)`` and ``y`` labels ``(n, T)``, both int64.
    """
    require_int("n", n, 1)
    require_int("T", T, 1)
    require_int("vocab", vocab, 2)
    require(0 < p_marker < 1, "p_marker", "in (0, 1)", p_marker)
    filler = torch.randint(1, vocab, (n, T), generator=generator)  # (n, T)
    marker = torch.rand(n, T, generator=generator) < p_marker  # (n, T)
    x = torch.where(marker, torch.full_like(filler, LOCAL_MARKER), filler)
    return x, local_counts(x, r)
