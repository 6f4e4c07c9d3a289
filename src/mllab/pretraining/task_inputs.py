r"""Downstream examples laid out as BERT reads them, one encoder for the lecture's four cases.

Devlin et al., arXiv:1810.04805, §4 and Fig. 4. Every input starts with ``[CLS]``; a second
text follows a ``[SEP]`` with segment 1; the target depends on the case:

1. ``sequence``: ``[CLS] text [SEP]`` and one class;
2. ``token``: ``[CLS] w_1 ... w_n [SEP]`` and one label per *word*, put on the word's last
   subword piece (the other pieces, ``[CLS]`` and ``[SEP]`` carry
   :data:`~mllab.pretraining.masking.IGNORE_INDEX`);
3. ``pair``: ``[CLS] A [SEP] B [SEP]`` (:func:`~mllab.pretraining.pack_pair`) and one class;
4. ``span``: ``[CLS] question [SEP] document [SEP]`` and the positions :math:`(s, e)` of the
   answer's first and last piece that hold a letter or digit (not the ``▁`` of a word start,
   not trailing punctuation).

Words are encoded one at a time (``tokenizer.encode(word)``), which sentencepiece segments as
it segments them inside a text (it splits on whitespace first), so that every piece's word is
known. Texts longer than ``max_len`` are cut at the end (``token``: whole words); a ``span``
example whose answer does not fit is dropped (``encode_span`` returns ``None``) rather than
split into windows: the verses here fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mllab.config import require, require_int
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.pretraining_batches import CLS_ID, SEP_ID, pack_pair

__all__ = ["TASK_KINDS", "TaskExample", "encode_pair", "encode_sequence", "encode_span",
           "encode_words"]

TASK_KINDS: tuple[str, ...] = ("sequence", "token", "pair", "span")
r"""The lecture's four cases, in its order."""


@dataclass(frozen=True)
class TaskExample:
    r"""One encoded example: the input and its target."""

    tokens: tuple[int, ...]
    """``[CLS] ... [SEP]`` (``... [SEP]`` again for two texts)."""
    segments: tuple[int, ...]
    """0 for ``[CLS]``, the first text and its ``[SEP]``; 1 for the second text."""
    target: int | tuple[int, ...]
    """A class (``sequence``, ``pair``), a label per token (``token``), or ``(s, e)``
    (``span``)."""
    answer: str = ""
    """The gold answer's text (``span``), for exact match and F1."""


def _word_pieces(tokenizer, words: Sequence[str]) -> list[list[int]]:
    return [tokenizer.encode(w) for w in words]


def encode_sequence(tokenizer, text: str, label: int, max_len: int) -> TaskExample:
    r"""``[CLS] text [SEP]``, the text cut to ``max_len - 2`` pieces."""
    require_int("max_len", max_len, 3)
    ids = tokenizer.encode(text)[:max_len - 2] or [tokenizer.UNK]
    return TaskExample((CLS_ID, *ids, SEP_ID), (0,) * (len(ids) + 2), int(label))


def encode_pair(tokenizer, a: str, b: str, label: int, max_len: int) -> TaskExample:
    r"""``[CLS] A [SEP] B [SEP]`` with segments, the longer text cut first."""
    ids, segments = pack_pair(tokenizer.encode(a) or [tokenizer.UNK],
                              tokenizer.encode(b) or [tokenizer.UNK], max_len)
    return TaskExample(tuple(ids), tuple(segments), int(label))


def encode_words(tokenizer, words: Sequence[str], labels: Sequence[int],
                 max_len: int) -> TaskExample:
    r"""``[CLS] w_1 ... w_n [SEP]`` with each word's label on its last piece; the words that
    do not fit in ``max_len`` are left out."""
    require_int("max_len", max_len, 3)
    require(len(words) == len(labels) and len(words) >= 1, "labels",
            f"one label per word ({len(words)} words, at least one)", len(labels))
    ids, target = [CLS_ID], [IGNORE_INDEX]
    for pieces, label in zip(_word_pieces(tokenizer, words), labels, strict=True):
        if not pieces or len(ids) + len(pieces) > max_len - 1:
            break
        ids += pieces
        target += [IGNORE_INDEX] * (len(pieces) - 1) + [int(label)]
    return TaskExample((*ids, SEP_ID), (0,) * (len(ids) + 1), (*target, IGNORE_INDEX))


def encode_span(tokenizer, question: str, context: str, answer: str, answer_word: int,
                max_len: int) -> TaskExample | None:
    r"""``[CLS] question [SEP] document [SEP]`` with the answer's ``(s, e)``; ``None`` if the
    answer word lies beyond ``max_len`` or has no piece holding a letter or digit."""
    require_int("max_len", max_len, 5)
    q = tokenizer.encode(question)
    words = context.split()
    require(0 <= answer_word < len(words), "answer_word", f"an index into {len(words)} words",
            answer_word)
    pieces = _word_pieces(tokenizer, words)
    start = len(q) + 2 + sum(len(p) for p in pieces[:answer_word])  # after [CLS] q [SEP]
    inside = [start + k for k, piece in enumerate(tokenizer.pieces(words[answer_word]))
              if any(ch.isalnum() for ch in piece)]
    doc = [i for p in pieces for i in p][:max_len - len(q) - 3]
    if not inside or len(q) + 3 >= max_len or inside[-1] >= len(q) + 2 + len(doc):
        return None
    tokens = (CLS_ID, *q, SEP_ID, *doc, SEP_ID)
    segments = (0,) * (len(q) + 2) + (1,) * (len(doc) + 1)
    return TaskExample(tokens, segments, (inside[0], inside[-1]), answer)
