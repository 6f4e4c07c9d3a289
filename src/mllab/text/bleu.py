r"""BLEU, the translation metric of the course's homework: written out for teaching, and
sacrebleu's, which computes every BLEU the experiments report.

Papineni et al. 2002 ("BLEU: a method for automatic evaluation of machine translation", ACL).
For each order :math:`n = 1..4` the *modified* (clipped) n-gram precision of a corpus of
hypotheses :math:`h` with references :math:`y` counts each hypothesis n-gram at most as often
as it occurs in the reference:

.. math:: p_n = \frac{\sum_h \sum_{g \in \text{n-grams}(h)} \min(\#_h(g), \#_y(g))}
                     {\sum_h \sum_{g \in \text{n-grams}(h)} \#_h(g)}

Short hypotheses would have high precision, so a brevity penalty compares the corpus's total
hypothesis length :math:`c` with its total reference length :math:`r`:

.. math:: \mathrm{BP} = \min\!\left(1, e^{1 - r/c}\right), \qquad
          \mathrm{BLEU} = \mathrm{BP} \cdot \exp\Big(\sum_{n=1}^{4} \tfrac14 \log p_n\Big)

BLEU is a *corpus* statistic: the counts are summed over all sentences before dividing, never
averaged per sentence. It is 0 when any :math:`p_n = 0` (no smoothing) and reported here, as
sacrebleu reports it, on a 0–100 scale.

Tokenisation decides what an n-gram is. ``"char"`` (sacrebleu's ``char``): every
non-whitespace character is a token, the usual choice for Japanese and Chinese, which are
written without spaces; ``"13a"``: sacrebleu's default for English (mteval-v13a's
punctuation splitting). :func:`teaching_bleu` computes the statistics above itself and takes
only the ``13a`` tokenizer from sacrebleu; :func:`corpus_bleu` is sacrebleu's
``corpus_bleu`` with one reference per hypothesis.

Differences from the paper: one reference per hypothesis (the paper allows several; then
:math:`\#_y` is the maximum over references and :math:`r` sums the closest reference lengths).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mllab.config import require

__all__ = ["TOKENIZERS", "BLEUStats", "brevity_penalty", "clipped_ngram_matches",
           "corpus_bleu", "ngram_counts", "teaching_bleu", "tokenize_for_bleu"]

TOKENIZERS: tuple[str, ...] = ("char", "13a")
"""The tokenisations :func:`teaching_bleu` supports (``corpus_bleu`` takes any of sacrebleu's)."""
MAX_ORDER = 4
"""N: the highest n-gram order, 4 as in the paper."""


@dataclass(frozen=True)
class BLEUStats:
    r"""Corpus BLEU and the quantities it is made of."""

    score: float
    r"""BLEU on the 0–100 scale."""
    precisions: tuple[float, ...]
    r""":math:`p_1, \dots, p_4`, each in [0, 1]."""
    matches: tuple[int, ...]
    r"""Clipped n-gram matches summed over the corpus, n = 1..4."""
    totals: tuple[int, ...]
    r"""Hypothesis n-grams summed over the corpus, n = 1..4."""
    bp: float
    r"""The brevity penalty BP."""
    c: int
    r"""Total hypothesis length in tokens."""
    r: int
    r"""Total reference length in tokens."""


def tokenize_for_bleu(text: str, tokenize: str = "char") -> list[str]:
    r"""The tokens BLEU counts in ``text`` (trailing whitespace dropped, as sacrebleu does)."""
    require(tokenize in TOKENIZERS, "tokenize", f"one of {TOKENIZERS}", tokenize)
    text = text.rstrip()
    if tokenize == "char":
        return [ch for ch in text if not ch.isspace()]
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()(text).split()


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    r""":math:`\#(g)` for every n-gram :math:`g` (a tuple of n tokens) of ``tokens``."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def clipped_ngram_matches(hyp: Sequence[str], ref: Sequence[str], n: int) -> tuple[int, int]:
    r"""``(matches, total)`` of order n for one sentence:
    :math:`\sum_g \min(\#_h(g), \#_y(g))` and :math:`\sum_g \#_h(g)`."""
    count_h, count_y = ngram_counts(hyp, n), ngram_counts(ref, n)
    matches = sum(min(k, count_y[g]) for g, k in count_h.items())  # Count_clip
    return matches, sum(count_h.values())


def brevity_penalty(c: int, r: int) -> float:
    r""":math:`\mathrm{BP} = \min(1, e^{1 - r/c})`, and 0 for an empty output (:math:`c = 0`)."""
    if c == 0:
        return 0.0
    return 1.0 if c >= r else math.exp(1.0 - r / c)


def teaching_bleu(hypotheses: Sequence[str], references: Sequence[str],
                  tokenize: str = "char") -> BLEUStats:
    r"""Corpus BLEU written out: clipped precisions summed over the corpus, then BP.

    Args:
        hypotheses: One system output per sentence.
        references: One reference per sentence, as many as ``hypotheses``.
        tokenize: ``"char"`` or ``"13a"``.
    """
    require(len(hypotheses) == len(references), "references",
            f"one per hypothesis ({len(hypotheses)})", len(references))
    matches, totals = [0] * MAX_ORDER, [0] * MAX_ORDER
    c = r = 0
    for hyp_text, ref_text in zip(hypotheses, references, strict=True):
        hyp = tokenize_for_bleu(hyp_text, tokenize)
        ref = tokenize_for_bleu(ref_text, tokenize)
        c, r = c + len(hyp), r + len(ref)
        for n in range(1, MAX_ORDER + 1):
            m, t = clipped_ngram_matches(hyp, ref, n)
            matches[n - 1] += m
            totals[n - 1] += t
    precisions = tuple(m / t if t else 0.0 for m, t in zip(matches, totals, strict=True))
    bp = brevity_penalty(c, r)
    if min(precisions) == 0.0:
        score = 0.0
    else:
        score = 100.0 * bp * math.exp(sum(math.log(p) for p in precisions) / MAX_ORDER)
    return BLEUStats(score, precisions, tuple(matches), tuple(totals), bp, c, r)


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str],
                tokenize: str = "char", smooth_method: str = "exp") -> float:
    r"""sacrebleu's corpus BLEU on the 0–100 scale.

    Args:
        hypotheses: One system output per sentence.
        references: One reference per sentence.
        tokenize: Any sacrebleu tokenizer name; ``"char"`` for Japanese.
        smooth_method: sacrebleu's smoothing; its default ``"exp"`` (what sacrebleu reports
            unless told otherwise) or ``"none"`` (then it equals :func:`teaching_bleu`).
    """
    import sacrebleu

    require(len(hypotheses) == len(references), "references",
            f"one per hypothesis ({len(hypotheses)})", len(references))
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)],
                                       tokenize=tokenize,
                                       smooth_method=smooth_method).score)
