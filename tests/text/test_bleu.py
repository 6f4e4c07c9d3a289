"""Tests of ``mllab.text.bleu``: the teaching BLEU equals sacrebleu's (``char`` and ``13a``
tokenisation, no smoothing) on random and hand-made corpora; clipping and the brevity penalty
by hand; ``corpus_bleu`` is sacrebleu's score."""

import math
import random

import pytest
import sacrebleu

from mllab.config import ConfigError
from mllab.text.bleu import (
    brevity_penalty,
    clipped_ngram_matches,
    corpus_bleu,
    teaching_bleu,
    tokenize_for_bleu,
)

HAND_MADE = [
    (["the cat is on the mat", "there is a cat on the mat"],
     ["the cat is on a mat", "a cat is on the mat"]),
    (["元始に神天地を創造たまへり", "地は定形なく曠空くして"],
     ["元始に神天地を創造り", "地は形なく空しくして"]),
    (["It's a test, isn't it?  ", "Hello, world!"], ["It is a test, isn't it?", "Hello world!"]),
]


def _random_corpus(rng: random.Random, n: int, alphabet: str):
    def sentence():
        return " ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
                        for _ in range(rng.randint(1, 12)))
    return [sentence() for _ in range(n)], [sentence() for _ in range(n)]


def _sacrebleu(hyps, refs, tokenize):
    return sacrebleu.corpus_bleu(hyps, [refs], tokenize=tokenize, smooth_method="none")


@pytest.mark.parametrize("tokenize", ["char", "13a"])
@pytest.mark.parametrize("seed", range(6))
def test_equals_sacrebleu_on_random_corpora(tokenize, seed):
    rng = random.Random(seed)
    hyps, refs = _random_corpus(rng, rng.randint(1, 40), "abcd,.")
    ours, theirs = teaching_bleu(hyps, refs, tokenize), _sacrebleu(hyps, refs, tokenize)
    assert ours.score == pytest.approx(theirs.score, rel=1e-9, abs=1e-12)
    assert (ours.c, ours.r) == (theirs.sys_len, theirs.ref_len)
    assert list(ours.matches) == theirs.counts and list(ours.totals) == theirs.totals
    assert ours.bp == pytest.approx(theirs.bp, rel=1e-12)


@pytest.mark.parametrize("tokenize", ["char", "13a"])
@pytest.mark.parametrize("hyps, refs", HAND_MADE)
def test_equals_sacrebleu_on_hand_made_corpora(tokenize, hyps, refs):
    ours, theirs = teaching_bleu(hyps, refs, tokenize), _sacrebleu(hyps, refs, tokenize)
    if tokenize == "char" or hyps is HAND_MADE[0][0]:
        assert theirs.score > 0  # chosen so that every order has a match
    assert ours.score == pytest.approx(theirs.score, rel=1e-9)
    assert corpus_bleu(hyps, refs, tokenize, smooth_method="none") == pytest.approx(
        ours.score, rel=1e-9)


def test_corpus_bleu_is_sacrebleus_default_score():
    hyps, refs = HAND_MADE[1]
    assert corpus_bleu(hyps, refs) == sacrebleu.corpus_bleu(hyps, [refs], tokenize="char").score


def test_clipping_by_hand():
    # Papineni et al.'s example: "the the the the the the the" against "the cat is on the mat"
    hyp, ref = ["the"] * 7, "the cat is on the mat".split()
    assert clipped_ngram_matches(hyp, ref, 1) == (2, 7)  # "the" counted at most twice
    assert clipped_ngram_matches(hyp, ref, 2) == (0, 6)
    assert clipped_ngram_matches(list("abcab"), list("abab"), 2) == (2, 4)  # ab twice, bc, ca


def test_brevity_penalty_by_hand():
    assert brevity_penalty(10, 8) == 1.0 and brevity_penalty(8, 8) == 1.0
    assert brevity_penalty(5, 10) == pytest.approx(math.exp(-1.0), rel=1e-15)
    assert brevity_penalty(0, 3) == 0.0
    stats = teaching_bleu(["a b c d"], ["a b c d e f g h"], "13a")
    assert stats.precisions == (1.0, 1.0, 1.0, 1.0)
    assert stats.score == pytest.approx(100 * math.exp(1 - 8 / 4), rel=1e-12)


def test_zero_when_an_order_has_no_match_and_char_ignores_spaces():
    assert teaching_bleu(["a b c"], ["a b c"], "13a").score == 0.0  # no 4-gram at all
    assert tokenize_for_bleu("元始に 神\u3000天 ", "char") == ["元", "始", "に", "神", "天"]
    assert teaching_bleu(["元始に神天地"], ["元始に神天地"]).score == pytest.approx(100.0)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="tokenize"):
        teaching_bleu(["a"], ["a"], "zh")
    with pytest.raises(ConfigError, match="references"):
        teaching_bleu(["a", "b"], ["a"])
    with pytest.raises(ConfigError, match="references"):
        corpus_bleu(["a", "b"], ["a"])
