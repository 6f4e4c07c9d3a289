"""Tests for mllab.pretraining.ngram_lm: every order above the lowest equals
nltk.lm.KneserNeyInterpolated (nltk's lowest order replaced by ours, which nltk lacks), the
lowest order and a unigram model by hand counts, every distribution sums to 1 (seen and unseen
contexts), perplexity is the exponent of the mean negative log-probability, and refusals."""

from __future__ import annotations

import math

import pytest

from mllab.config import ConfigError
from mllab.pretraining.ngram_lm import NgramLM

# ids: 0 pad, 1 BOS, 2 EOS, 3..7 words
SEQS = [[3, 4, 5], [3, 4, 6, 5], [4, 5, 3, 4], [6, 6, 7], [3, 5]]
V, BOS, EOS = 8, 1, 2


def _nltk_model(n: int, D: float, ours: NgramLM):
    lm_mod = pytest.importorskip("nltk.lm")
    sents = []
    for seq in SEQS:
        s = [str(t) for t in [BOS] * (n - 1) + seq + [EOS]]
        grams = [tuple(s[i - n + 1:i + 1]) for i in range(n - 1, len(s))]
        sents.append(grams + [g[1:] for g in grams if n == 3])  # the suffix bigrams
    lm = lm_mod.KneserNeyInterpolated(n, discount=D)
    lm.fit(sents, vocabulary_text=[str(t) for t in range(V)])
    lm.estimator.unigram_score = lambda w: ours.prob(int(w), order=1)  # our lowest
    return lm


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("D", [0.1, 0.75])
def test_higher_orders_equal_nltk_kneser_ney(n, D):
    ours = NgramLM(SEQS, V, n=n, discount=D, bos=BOS, eos=EOS)
    lm = _nltk_model(n, D, ours)
    contexts = [(BOS,) * (n - 1), (3,), (4,), (6,), (3, 4), (4, 5), (5, 3), (6, 6), (7, 3)]
    for h in contexts:
        h = h[-(n - 1):]  # a shorter context scores at a lower order in both
        for w in range(3, V):
            expected = lm.score(str(w), [str(t) for t in h])
            got = ours.prob(w, h, order=len(h) + 1)
            assert got == pytest.approx(expected, rel=1e-12), (h, w)


def test_lowest_order_by_hand():
    D = 0.5
    m = NgramLM(SEQS, V, n=2, discount=D, bos=BOS, eos=EOS)
    bigrams = {(a, b) for s in SEQS for a, b in zip([BOS, *s], [*s, EOS], strict=True)}
    cont = {w: sum(1 for _, b in bigrams if b == w) for w in range(V)}  # N1+(. w)
    total = sum(cont.values())
    types = sum(1 for c in cont.values() if c > 0)
    for w in range(V):
        expected = max(cont[w] - D, 0) / total + D * types / total / V
        assert m.orders[-1].followers[()].get(w, 0) == cont[w]
        # an unseen context (id 0 never occurs) falls to the lowest order
        assert m.prob(w, (0,)) == pytest.approx(expected, rel=1e-12)


def test_unigram_model_by_hand():
    D = 0.75
    m = NgramLM(SEQS, V, n=1, discount=D, bos=BOS, eos=EOS)
    counts = {w: sum(s.count(w) for s in SEQS) + (len(SEQS) if w == EOS else 0)
              for w in range(V)}
    N, types = sum(counts.values()), sum(1 for c in counts.values() if c)
    for w in range(V):
        assert m.prob(w, (5, 3)) == pytest.approx(
            max(counts[w] - D, 0) / N + D * types / N / V, rel=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_distribution_sums_to_one(n):
    m = NgramLM(SEQS, V, n=n, bos=BOS, eos=EOS)
    for h in [(), (BOS, BOS), (3, 4), (4, 5), (6, 6), (0, 7), (7, 0), (5,)]:
        assert math.fsum(m.prob(w, h) for w in range(V)) == pytest.approx(1.0, abs=1e-12)
        assert all(m.prob(w, h) > 0 for w in range(V))


def test_higher_order_fits_its_training_text_better():
    ppl = [NgramLM(SEQS, V, n=n, bos=BOS, eos=EOS).perplexity(SEQS) for n in (1, 2, 3)]
    assert ppl[0] > ppl[1] > ppl[2] > 1.0


def test_perplexity_is_the_exponent_of_the_mean_negative_log_probability():
    m = NgramLM(SEQS, V, n=3, bos=BOS, eos=EOS)
    test = [[3, 4, 7], [6, 5]]
    lp = m.token_log_probs(test[0]) + m.token_log_probs(test[1])
    assert len(lp) == 3 + 1 + 2 + 1  # every token and each EOS
    assert lp[0] == pytest.approx(math.log(m.prob(3, (BOS, BOS))))
    assert lp[3] == pytest.approx(math.log(m.prob(EOS, (4, 7))))
    assert m.perplexity(test) == pytest.approx(math.exp(-sum(lp) / len(lp)))
    assert m.cross_entropy(test) == (pytest.approx(-sum(lp) / len(lp)), len(lp))


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n": 4}, "n"), ({"discount": 1.0}, "discount"), ({"discount": 0}, "discount"),
    ({"bos": 8}, "bos"), ({"eos": -1}, "eos")])
def test_refusals(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        NgramLM(SEQS, V, **kwargs)
    with pytest.raises(ConfigError, match="sequences"):
        NgramLM([[3, 9]], V)
