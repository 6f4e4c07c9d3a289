r"""The pre-training corpus of the self-supervised lectures: the World English Bible's verses,
split by chapter, with a sentencepiece vocabulary trained on training verses only.

Verses come from :func:`mllab.data.bible.english_verses` (31,095, in canonical order); whole
chapters go to train or test by :func:`mllab.data.bible.split_bible_pairs`, so a held-out
verse's neighbours (refrains, genealogies) are held out with it. The unigram subword model
(:class:`mllab.text.SentencePieceTokenizer`) is trained on every :math:`k`-th training verse,
at most ``tokenizer_verses`` of them spread over the whole book (training on all 28k takes
about 20 s). Consecutive verses stay consecutive, so next-sentence pairs
(:func:`mllab.pretraining.sentence_pairs`) can be drawn from ``train_ids`` and ``test_ids``.

BERT's vocabulary over this corpus is ``tokenizer.vocab_size + 1``: ``[MASK]`` is the id
``tokenizer.vocab_size`` (:mod:`mllab.pretraining.pretraining_batches`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mllab.config import require, require_int
from mllab.data.bible import BibleVerse, english_verses, split_bible_pairs
from mllab.text.sentencepiece_tokenizer import SentencePieceTokenizer

__all__ = ["BibleCorpus", "bible_corpus"]


@dataclass(frozen=True)
class BibleCorpus:
    r"""Training and held-out verses, their token ids, and the tokenizer."""

    tokenizer: SentencePieceTokenizer
    train: tuple[BibleVerse, ...]
    """Training verses in canonical order."""
    test: tuple[BibleVerse, ...]
    """Held-out verses (other chapters) in canonical order."""
    train_ids: list[list[int]]
    """``tokenizer.encode`` of each training verse (no special tokens)."""
    test_ids: list[list[int]]
    """``tokenizer.encode`` of each held-out verse."""


def bible_corpus(*, seed: int, vocab_size: int, test_fraction: float = 0.1,
                 tokenizer_verses: int = 6000, max_train: int | None = None,
                 max_test: int | None = None) -> BibleCorpus:
    r"""The corpus for split seed ``seed``: deterministic in its arguments.

    Args:
        seed: Seed of the chapter split.
        vocab_size: :math:`V_{text}` of the tokenizer (specials included).
        test_fraction: Share of chapters held out.
        tokenizer_verses: Most training verses the tokenizer sees (evenly spaced).
        max_train, max_test: Keep only the first that many verses of each part (quick modes);
            ``None`` keeps all.
    """
    require_int("tokenizer_verses", tokenizer_verses, 1)
    for name, value in (("max_train", max_train), ("max_test", max_test)):
        require(value is None or (isinstance(value, int) and value >= 3), name,
                "an integer >= 3 or None", value)
    split = split_bible_pairs(english_verses(), valid_fraction=0.0,
                              test_fraction=test_fraction, seed=seed)
    train, test = split.train[:max_train], split.test[:max_test]
    k = max(1, len(train) // tokenizer_verses)
    tokenizer = SentencePieceTokenizer.train([v.en for v in train[::k]][:tokenizer_verses],
                                             vocab_size, seed=seed)
    return BibleCorpus(tokenizer, train, test, [tokenizer.encode(v.en) for v in train],
                       [tokenizer.encode(v.en) for v in test])
