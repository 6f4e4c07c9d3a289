r"""Restoring punctuation: a token-labelling task with labels taken from real text, the
self-supervised lecture's case 2 ("a sequence in, a label per token out").

Each whitespace word of a verse loses the punctuation marks ``, . ; : ! ?`` it carries; its
label says which mark followed it in the real text, by the marks after its last letter or
digit:

==========  =======  ============================================
label       class    the word was followed by
==========  =======  ============================================
0           none     no mark
1           comma    ``,`` (and none of the marks below)
2           stop     ``.``, ``!`` or ``?`` (the end of a sentence)
3           colon    ``;`` or ``:`` (and no sentence end)
==========  =======  ============================================

Quotation marks, apostrophes and dashes stay in the input; capital letters stay too (they are
part of the real text). A word that is nothing but marks is left out. About four words in five
have label 0, so the majority-class baseline is high: the lecture's task counts only if a model
beats it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PUNCTUATION_CLASSES", "punctuation_example", "punctuation_examples"]

PUNCTUATION_CLASSES: tuple[str, ...] = ("none", "comma", "stop", "colon")
r"""The label names, in label order."""

_MARKS = re.compile(r"[,.;:!?]")
_TAIL = re.compile(r"[^0-9A-Za-z]*$")


def _label(word: str) -> int:
    tail = _TAIL.search(word).group()  # what follows the last letter or digit
    if any(c in tail for c in ".!?"):
        return 2
    if any(c in tail for c in ";:"):
        return 3
    return 1 if "," in tail else 0


def punctuation_example(text: str) -> tuple[list[str], list[int]]:
    r"""``(words without marks, labels)`` of one verse; both lists have the same length."""
    words, labels = [], []
    for w in text.split():
        bare = _MARKS.sub("", w)
        if bare:
            words.append(bare)
            labels.append(_label(w))
    return words, labels


def punctuation_examples(texts: Iterable[str]) -> list[tuple[list[str], list[int]]]:
    r""":func:`punctuation_example` of every text that keeps at least one word."""
    return [ex for ex in map(punctuation_example, texts) if ex[0]]
