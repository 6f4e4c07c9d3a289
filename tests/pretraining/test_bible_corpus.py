"""Tests for mllab.pretraining.bible_corpus: held-out chapters never in training, the token ids
are the tokenizer's encoding of each verse, consecutive verses stay in order, determinism in
the seed, and refusals."""

from __future__ import annotations

import pytest

from mllab.config import ConfigError
from mllab.pretraining.bible_corpus import bible_corpus


def test_small_corpus_split_by_chapter_and_encoded():
    c = bible_corpus(seed=0, vocab_size=200, tokenizer_verses=500, max_train=800, max_test=100)
    assert len(c.train) == 800 and len(c.test) == 100
    assert not {v.chapter_key for v in c.train} & {v.chapter_key for v in c.test}
    assert c.tokenizer.vocab_size == 200
    assert all(ids == c.tokenizer.encode(v.en) for v, ids in zip(c.test, c.test_ids,
                                                                   strict=True))
    keys = [(v.book, v.chapter, v.verse) for v in c.train]
    assert keys == sorted(keys)
    again = bible_corpus(seed=0, vocab_size=200, tokenizer_verses=500, max_train=800,
                         max_test=100)
    assert again.tokenizer.model_proto == c.tokenizer.model_proto
    assert again.train_ids == c.train_ids
    other = bible_corpus(seed=1, vocab_size=200, tokenizer_verses=500, max_train=800,
                         max_test=100)
    assert [v.chapter_key for v in other.test] != [v.chapter_key for v in c.test]


def test_refusals():
    with pytest.raises(ConfigError, match="max_train"):
        bible_corpus(seed=0, vocab_size=200, max_train=2)
