r"""SYNTHETIC translation pairs where every source has TWO valid translations (the
multi-modality problem of non-autoregressive decoding, arXiv:1711.02281 §2.2).

Everything here is generated. Source words are ids ``1 .. K`` (0 is padding), a source has
:math:`S` words, :math:`S` uniform in ``min_len .. max_len``. Each word :math:`v` has two
target words, as "Danke schön" and "Vielen Dank" both translate "Thank you":

.. math:: a(v) = v + 2, \qquad b(v) = v + K + 2

(target ids ``0, 1, 2`` are left for padding, BEGIN and END). A pair's target is the whole
sentence translated by :math:`a` or, with probability 1/2 drawn per pair, by :math:`b`: the
two are never mixed within a sentence. :func:`classify_outputs` tells an output that is one
valid translation from one that mixes the two.

Differences from real translation: the translations are word for word and monotonic, so the
target has the source's length and position :math:`t` translates word :math:`t`.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["OUTPUT_CLASSES", "classify_outputs", "translations", "two_translation_pairs"]

OUTPUT_CLASSES = ("exact", "mixed", "other")
r"""What an output is: exactly one valid translation, a mix of the two, or anything else."""


def translations(src: Tensor, K: int) -> tuple[Tensor, Tensor]:
    r"""The two valid translations :math:`a(x)` and :math:`b(x)` of source words ``src``
    ``(N, S)`` (0 = padding stays 0), target ids ``(N, S)`` each."""
    real = src > 0
    return (torch.where(real, src + 2, 0), torch.where(real, src + K + 2, 0))


def two_translation_pairs(n: int, K: int, min_len: int, max_len: int, generator: torch.Generator,
                          *, two_modes: bool = True) -> dict[str, Tensor]:
    r"""``n`` SYNTHETIC pairs: ``"src"`` ``(n, max_len)`` padded with 0, ``"lengths"`` ``(n,)``
    and ``"tgt"`` ``(n, max_len)``: translation :math:`a` of the whole source or, with
    probability 1/2 when ``two_modes`` (else never), translation :math:`b`."""
    S = torch.randint(min_len, max_len + 1, (n,), generator=generator)
    src = torch.randint(1, K + 1, (n, max_len), generator=generator)
    src = src.masked_fill(torch.arange(max_len)[None, :] >= S[:, None], 0)  # (n, max_len)
    a, b = translations(src, K)
    use_b = (torch.rand(n, generator=generator) < 0.5) if two_modes \
        else torch.zeros(n, dtype=torch.bool)
    return {"src": src, "lengths": S, "tgt": torch.where(use_b[:, None], b, a)}


def classify_outputs(outputs: list[list[int]], src: Tensor, K: int) -> list[str]:
    r"""Per output (a list of target ids): ``"exact"`` (:math:`a(x)` or :math:`b(x)`),
    ``"mixed"`` (the source's length, every token :math:`a(x_t)` or :math:`b(x_t)`, both maps
    used) or ``"other"``."""
    a, b = translations(src, K)
    kinds = []
    for y, x_a, x_b, x in zip(outputs, a.tolist(), b.tolist(), src.tolist(), strict=True):
        S = sum(v > 0 for v in x)
        ya, yb = x_a[:S], x_b[:S]
        if y in (ya, yb):
            kinds.append("exact")
        elif len(y) == S and all(t in (p, q) for t, p, q in zip(y, ya, yb, strict=True)):
            kinds.append("mixed")
        else:
            kinds.append("other")
    return kinds
