r"""What a fine-tuned model must beat for its score to mean anything: a model that has
collapsed onto one answer scores no better than these.

- :func:`majority_baseline`: the most frequent training class (or word label, for token
  labelling) predicted for every test example, :math:`\hat y = \arg\max_c n_c`;
- :func:`fixed_span_baseline`: for extractive QA, the same span at every question: the
  document's pieces :math:`d_0 + k, \dots, d_0 + k + j` (:math:`d_0` the document's first
  position), with the offset :math:`k < 16` and length :math:`j + 1 \le 3` that give the best
  training F1, scored on the test questions by SQuAD's exact match and F1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.squad_metrics import squad_scores
from mllab.pretraining.task_inputs import TaskExample

__all__ = ["fixed_span_baseline", "majority_baseline"]


def _labels(examples: Sequence[TaskExample]) -> list[int]:
    out = []
    for ex in examples:
        out += [t for t in ex.target if t != IGNORE_INDEX] if isinstance(ex.target, tuple) \
            else [ex.target]
    return out


def majority_baseline(train: Sequence[TaskExample], test: Sequence[TaskExample]) -> float:
    r"""Test accuracy of the most frequent training label (classes, or word labels); ties go
    to the smallest label."""
    counts = Counter(_labels(train))
    top = min(counts, key=lambda c: (-counts[c], c))
    labels = _labels(test)
    return sum(y == top for y in labels) / len(labels)


def _fixed(examples: Sequence[TaskExample], k: int, j: int,
           decode: Callable[[list[int]], str]) -> dict[str, float]:
    texts = []
    for ex in examples:
        d0 = ex.segments.index(1)
        last = len(ex.tokens) - 2  # the document's last piece
        s = min(d0 + k, last)
        texts.append(decode(list(ex.tokens[s:min(s + j, last) + 1])))
    return squad_scores(texts, [[ex.answer] for ex in examples])


def fixed_span_baseline(train: Sequence[TaskExample], test: Sequence[TaskExample],
                        decode: Callable[[list[int]], str]) -> dict[str, float]:
    r"""Test ``{"exact_match", "f1", "offset", "length"}`` of the best fixed span on
    ``train``."""
    k, j = max(((k, j) for k in range(16) for j in range(3)),
               key=lambda kj: _fixed(train, *kj, decode)["f1"])
    return {**_fixed(test, k, j, decode), "offset": k, "length": j + 1}
