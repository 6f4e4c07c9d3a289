r"""Count-based baselines for filling a blank: what a masked-LM must beat.

A blank at position :math:`t` of a corrupted sentence :math:`\tilde x` is filled by

- the **unigram** guess: the most frequent training token,
  :math:`\hat x_t = \arg\max_x c(x)`, the same for every blank;
- the **bigram** guess from both neighbours, as a bidirectional model must be compared with
  what its neighbours alone tell:

  .. math::
      \hat x_t = \arg\max_x \; \log P(x \mid \tilde x_{t-1}) + \log P(\tilde x_{t+1} \mid x),
      \qquad P(b \mid a) = \frac{c(a, b) + \alpha}{c(a) + \alpha V},

  a neighbour's term left out when that neighbour is itself ``[MASK]`` (or out of the
  count table); with both left out it is the unigram guess.

Counts :math:`c(a, b)` are taken over training sequences as the model sees them (``[CLS]`` and
``[SEP]`` included as context), :math:`c(a) = \sum_b c(a, b)`; the candidates :math:`x` are
the tokens that are not special (``excluded``). Ties go to the smallest id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int

__all__ = ["NgramBaseline"]


class NgramBaseline:
    r"""Unigram and bigram counts over ``V`` ids; guesses for blanks."""

    def __init__(self, sequences: Iterable[Sequence[int]], V: int, *,
                 excluded: Iterable[int] = (), alpha: float = 0.1) -> None:
        require_int("V", V, 2)
        require(is_real(alpha) and alpha > 0, "alpha", "a number > 0", alpha)
        self.V, self.alpha = V, float(alpha)
        seqs = [torch.as_tensor(list(seq), dtype=torch.long) for seq in sequences]
        require(len(seqs) > 0 and all(len(q) and int(q.min()) >= 0 and int(q.max()) < V
                                      for q in seqs),
                "sequences", f"one or more non-empty lists of ids in [0, {V})", len(seqs))
        ids = torch.cat(seqs)
        pairs = torch.cat([q[:-1] * V + q[1:] for q in seqs])  # a V + b of each neighbour pair
        self.unigram = torch.bincount(ids, minlength=V).double()  # c(x), (V,)
        self.bigram = torch.bincount(pairs, minlength=V * V).double().view(V, V)  # c(a, b)
        self.candidate = torch.ones(V, dtype=torch.bool)
        self.candidate[list(excluded)] = False
        a = self.alpha
        c_a = self.bigram.sum(1, keepdim=True)  # c(a), (V, 1)
        self.log_p = torch.log((self.bigram + a) / (c_a + a * V))  # [a, b] = log P(b | a)

    def unigram_guess(self) -> int:
        r""":math:`\arg\max_x c(x)` over the candidates."""
        counts = torch.where(self.candidate, self.unigram, -1.0)
        return int(torch.argmax(counts))

    def bigram_scores(self, left: int | None, right: int | None) -> Tensor:
        r"""The score of each candidate :math:`x`, ``(V,)`` (``-inf`` for non-candidates);
        ``None`` for an unknown neighbour (both unknown: the counts :math:`c(x)`)."""
        if left is None and right is None:
            score = self.unigram.clone()
        else:
            score = torch.zeros(self.V, dtype=torch.float64)
            if left is not None:
                score = score + self.log_p[left]  # log P(x | left), (V,)
            if right is not None:
                score = score + self.log_p[:, right]  # log P(right | x), (V,)
        return torch.where(self.candidate, score, -torch.inf)

    def bigram_guesses(self, tokens: Tensor, chosen: Tensor, mask_id: int) -> Tensor:
        r"""The bigram guess at every chosen position of ``tokens`` ``(B, T)``, in row-major
        order ``(M,)``; a neighbour equal to ``mask_id``, outside the row or outside the table
        is unknown."""
        out = []
        for b, t in chosen.nonzero().tolist():
            row = tokens[b].tolist()
            left = row[t - 1] if t > 0 else None
            right = row[t + 1] if t + 1 < len(row) else None
            left, right = (None if n is None or n == mask_id or n >= self.V else n
                           for n in (left, right))
            out.append(int(torch.argmax(self.bigram_scores(left, right))))
        return torch.tensor(out, dtype=torch.long)
