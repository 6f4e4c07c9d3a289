r"""Next-sentence prediction pairs: does sentence B follow sentence A?

Devlin et al., arXiv:1810.04805, §3.1 "Task #2": for each A, half the time B is the sentence
that actually follows it (label 0, ``IsNext``), half the time a sentence drawn at random from
the corpus (label 1, ``NotNext``; here never the true next one nor A itself). The lecture notes
that later work (RoBERTa) found this task of little use; SOP (ALBERT) asks instead whether A and
B are in the right order.
"""

from __future__ import annotations

import torch

from mllab.config import require

__all__ = ["IS_NEXT", "NOT_NEXT", "sentence_pairs"]

IS_NEXT, NOT_NEXT = 0, 1
r"""The labels of a pair, as ``transformers``' ``BertForPreTraining`` numbers them."""


def sentence_pairs(sentences: list, generator: torch.Generator,
                   p_next: float = 0.5) -> list[tuple[object, object, int]]:
    r"""``(A, B, label)`` for every sentence but the last, in order.

    Args:
        sentences: Consecutive sentences of a corpus (at least 3).
        generator: The source of every random choice.
        p_next: Probability that B is the true next sentence.
    """
    require(len(sentences) >= 3, "sentences", "at least 3 consecutive sentences",
            len(sentences))
    require(0.0 <= p_next <= 1.0, "p_next", "a probability in [0, 1]", p_next)
    n = len(sentences)
    pairs = []
    for i in range(n - 1):
        if float(torch.rand((), generator=generator)) < p_next:
            pairs.append((sentences[i], sentences[i + 1], IS_NEXT))
            continue
        j = int(torch.randint(0, n - 2, (), generator=generator))  # not i, not i + 1
        j = j if j < i else j + 2
        pairs.append((sentences[i], sentences[j], NOT_NEXT))
    return pairs
