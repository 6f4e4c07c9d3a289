"""Tests for mllab.pretraining.next_sentence: true next sentences are labelled IsNext, random
ones never the true next nor A itself, about half of each, the generator alone decides."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.next_sentence import IS_NEXT, NOT_NEXT, sentence_pairs


def test_labels_tell_the_truth_and_random_sentences_are_neither_a_nor_its_successor():
    corpus = list(range(400))
    pairs = sentence_pairs(corpus, torch.Generator().manual_seed(0))
    assert [a for a, _, _ in pairs] == corpus[:-1]
    for a, b, label in pairs:
        assert (b == a + 1) == (label == IS_NEXT)
        assert b != a
    nexts = sum(label == IS_NEXT for *_, label in pairs)
    assert abs(nexts - 0.5 * 399) <= 5 * math.sqrt(399 / 4)
    drawn = {b for _, b, label in pairs if label == NOT_NEXT}
    assert min(drawn) < 20 and max(drawn) > 380  # drawn from the whole corpus


def test_the_generator_alone_decides_and_p_next_is_obeyed():
    corpus = list("abcdefgh")
    a = sentence_pairs(corpus, torch.Generator().manual_seed(4))
    torch.manual_seed(99)
    assert a == sentence_pairs(corpus, torch.Generator().manual_seed(4))
    assert all(label == IS_NEXT for *_, label in sentence_pairs(corpus, torch.Generator(), 1.0))
    assert all(label == NOT_NEXT for *_, label in sentence_pairs(corpus, torch.Generator(), 0.0))


@pytest.mark.parametrize(("args", "message"), [
    ((["a", "b"],), "sentences must be at least 3"),
    ((["a", "b", "c"], 1.5), "p_next must be a probability"),
])
def test_refusals(args, message):
    with pytest.raises(ConfigError, match=message):
        sentence_pairs(args[0], torch.Generator(), *args[1:])
