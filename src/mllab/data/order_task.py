r"""SYNTHETIC order-dependent sequences for the Self-attention lecture's positional encoding.

Self-attention without positional encoding is permutation-equivariant: it sees a set of tokens,
not a sequence. The task here is built so that *which* tokens occur says nothing about the label;
only their order does. Every sequence of length :math:`T` holds the token ``A`` once and the
token ``B`` once, at two distinct random positions, and :math:`T - 2` filler tokens drawn
uniformly from the remaining vocabulary:

.. math::
    y = [\,\mathrm{pos}(A) < \mathrm{pos}(B)\,] \in \{0, 1\}

The two classes have the same distribution of token multisets, so any function of the multiset
alone (a model without positions and with mean pooling) is right with probability exactly 1/2.

Everything here is generated, not measured.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require_int

__all__ = ["ORDER_TOKEN_A", "ORDER_TOKEN_B", "order_task"]

ORDER_TOKEN_A = 0
r"""Token id of ``A``."""
ORDER_TOKEN_B = 1
r"""Token id of ``B``."""


def order_task(n: int, T: int, vocab: int, *, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    r"""SYNTHETIC: ``n`` sequences whose label says whether ``A`` comes before ``B``.

    Args:
        n: Number of sequences (>= 1).
        T: Sequence length (>= 2).
        vocab: Vocabulary size :math:`V` (>= 3): ids 0 (``A``), 1 (``B``) and fillers
            ``2 .. V - 1``.
        generator: The only source of randomness.

    Returns:
        ``x`` token ids ``(n, T)`` (int64) and ``y`` labels ``(n,)`` (int64, 1 iff A before B).
    """
    require_int("n", n, 1)
    require_int("T", T, 2)
    require_int("vocab", vocab, 3)
    x = torch.randint(2, vocab, (n, T), generator=generator)  # (n, T) fillers
    order = torch.rand(n, T, generator=generator).argsort(dim=1)  # (n, T) random permutations
    pos_a, pos_b = order[:, 0], order[:, 1]  # (n,), two distinct positions per row
    rows = torch.arange(n)
    x[rows, pos_a] = ORDER_TOKEN_A
    x[rows, pos_b] = ORDER_TOKEN_B
    y = (pos_a < pos_b).long()  # y = [pos(A) < pos(B)]
    return x, y
