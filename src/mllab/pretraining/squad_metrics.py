r"""Exact match and token F1 of an extractive answer, as SQuAD defines them.

Rajpurkar et al., "SQuAD: 100,000+ Questions for Machine Comprehension of Text",
arXiv:1606.05250, §6, and its official evaluation script (v1.1). Both compare the predicted
text with the gold text after the same normalisation: lower case, punctuation removed, the
articles *a*, *an*, *the* removed, whitespace collapsed. With :math:`P` and :math:`G` the
bags (multisets) of normalised tokens of prediction and gold,

.. math::
    \mathrm{EM} = [\mathrm{norm}(p) = \mathrm{norm}(g)], \qquad
    \mathrm{precision} = \frac{|P \cap G|}{|P|}, \quad \mathrm{recall} = \frac{|P \cap G|}{|G|},
    \quad F_1 = \frac{2\, \mathrm{precision}\cdot \mathrm{recall}}
    {\mathrm{precision} + \mathrm{recall}}

and :math:`F_1 = 0` when the bags share no token. A question with several golds takes the
best score over them; a data set's score is the mean over its questions.

Differences from SQuAD: the script's punctuation set is Python's ``string.punctuation``; here
too, plus the typographic quotes of the World English Bible (“ ” ‘ ’).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

__all__ = ["exact_match", "normalize_answer", "squad_scores", "token_f1"]

_PUNCTUATION = frozenset(string.punctuation) | frozenset("“”‘’")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    r"""Lower case, no punctuation, no articles, single spaces (SQuAD's ``normalize_answer``)."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    r""":math:`[\mathrm{norm}(p) = \mathrm{norm}(g)]`: 1.0 or 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    r"""The harmonic mean of token precision and recall over normalised bags of tokens."""
    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(p) & Counter(g)).values())  # |P ∩ G| of the multisets
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: Sequence[str], golds: Sequence[Sequence[str]]) -> dict[str, float]:
    r"""Mean ``exact_match`` and ``f1`` over questions, each the best over its golds."""
    if len(predictions) != len(golds) or not predictions:
        raise ValueError(f"need as many predictions as gold lists (>= 1), got "
                         f"{len(predictions)} and {len(golds)}")
    em = [max(exact_match(p, g) for g in gs) for p, gs in zip(predictions, golds, strict=True)]
    f1 = [max(token_f1(p, g) for g in gs) for p, gs in zip(predictions, golds, strict=True)]
    return {"exact_match": sum(em) / len(em), "f1": sum(f1) / len(f1)}
