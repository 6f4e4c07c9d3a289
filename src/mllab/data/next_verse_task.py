r"""Does verse B follow verse A? A sentence-pair task on real verses, the self-supervised
lecture's case 3 ("two sequences in, a class out").

For each verse A that has a successor in its own chapter, with probability 1/2 B is that
successor (label 1, ``follows``), otherwise a verse drawn uniformly from the other verses of
the same list (label 0, ``random``; never A itself nor its successor). It is the question
BERT's next-sentence prediction asks (arXiv:1810.04805, §3.1), here asked of held-out chapters
with a new classifier head: a pre-trained model has met the task, on other chapters, during
pre-training, a random one has not. The classes are balanced in expectation, so the
majority-class baseline is near 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mllab.config import require
from mllab.data.bible import BibleVerse

__all__ = ["NEXT_VERSE_CLASSES", "next_verse_pairs"]

NEXT_VERSE_CLASSES: tuple[str, ...] = ("random", "follows")
r"""The label names, in label order."""


def next_verse_pairs(verses: Sequence[BibleVerse],
                     generator: torch.Generator) -> list[tuple[str, str, int]]:
    r"""``(A, B, label)`` for every verse of ``verses`` (in canonical order, at least 3) whose
    next verse in the list is in the same chapter; every draw from ``generator``."""
    require(len(verses) >= 3, "verses", "at least 3 verses", len(verses))
    n, pairs = len(verses), []
    for i in range(n - 1):
        if verses[i].chapter_key != verses[i + 1].chapter_key:
            continue
        if float(torch.rand((), generator=generator)) < 0.5:
            pairs.append((verses[i].en, verses[i + 1].en, 1))
            continue
        j = int(torch.randint(0, n - 2, (), generator=generator))  # not i, not i + 1
        j = j if j < i else j + 2
        pairs.append((verses[i].en, verses[j].en, 0))
    return pairs
