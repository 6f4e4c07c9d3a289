"""Temperature, top-k and nucleus sampling: the filters by hand (ties included), the limits
(temperature to 0, top-k = 1), the empirical distribution, and reproducibility."""

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding.greedy import greedy_decode
from mllab.decoding.sampling import filter_top_k, filter_top_p, sample, sample_decode

V, EOS, BOS = 6, 5, 6


def _kept(filtered):
    return torch.isfinite(filtered).nonzero().flatten().tolist()


def _logits(*probs):
    return torch.tensor(probs, dtype=torch.float64).log()


def test_top_k_by_hand_keeps_ties_at_the_kth_value():
    z = torch.tensor([1.0, 3.0, 2.0, 0.5])
    assert _kept(filter_top_k(z, 2)) == [1, 2]
    assert torch.equal(filter_top_k(z, 2)[[1, 2]], z[[1, 2]])  # kept logits unchanged
    assert _kept(filter_top_k(torch.tensor([1.0, 2.0, 2.0, 0.5]), 1)) == [1, 2]
    assert torch.equal(filter_top_k(z, 9), z)


@pytest.mark.parametrize(("probs", "p", "kept"), [
    ((0.5, 0.3, 0.15, 0.05), 0.4, [0]),
    ((0.5, 0.3, 0.15, 0.05), 0.6, [0, 1]),
    ((0.5, 0.3, 0.15, 0.05), 0.9, [0, 1, 2]),
    ((0.5, 0.3, 0.15, 0.05), 0.97, [0, 1, 2, 3]),
    ((0.05, 0.15, 0.5, 0.3), 0.6, [2, 3]),  # order of the vocabulary does not matter
    ((0.4, 0.2, 0.2, 0.2), 0.5, [0, 1, 2, 3]),  # {0, one 0.2} suffices; tied 0.2s all kept
    ((0.4, 0.2, 0.2, 0.2), 0.3, [0]),
    ((0.3, 0.3, 0.2, 0.2), 0.1, [0, 1]),  # a tie at the top
    ((0.9, 0.1), 1.0, [0, 1]),
])
def test_top_p_keeps_the_smallest_set_reaching_p(probs, p, kept):
    assert _kept(filter_top_p(_logits(*probs), p)) == kept


def test_top_p_works_row_by_row():
    z = torch.stack([_logits(0.5, 0.3, 0.2), _logits(0.2, 0.3, 0.5)])  # (2, 3)
    out = filter_top_p(z, 0.7)
    assert torch.isfinite(out).tolist() == [[True, True, False], [False, True, True]]


def test_temperature_towards_zero_is_the_argmax():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(200, 10, generator=g, dtype=torch.float64)
    assert torch.equal(sample(logits, temperature=1e-6, generator=g), logits.argmax(-1))


def test_top_k_one_is_the_argmax_and_sampling_with_it_is_greedy(table_lm):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(200, 10, generator=g)
    assert torch.equal(sample(logits, top_k=1, generator=g), logits.argmax(-1))
    model = table_lm(V, 2, max_prefix=8)
    greedy = greedy_decode(model, BOS, EOS, 7, 3)
    sampled = sample_decode(model, BOS, EOS, 7, 3, top_k=1, temperature=2.0, generator=g)
    assert torch.equal(sampled.tokens, greedy.tokens)
    assert torch.equal(sampled.token_log_probs, greedy.token_log_probs)


@pytest.mark.parametrize(("temperature", "top_k", "top_p"), [
    (1.0, None, None), (0.7, None, None), (1.5, 5, None), (1.0, None, 0.8), (0.8, 6, 0.9)])
def test_many_samples_follow_the_filtered_softmax(temperature, top_k, top_p):
    logits = torch.tensor([2.0, 1.5, 1.0, 0.8, 0.2, -0.3, -1.0, -2.0], dtype=torch.float64)
    z = logits / temperature
    z = z if top_k is None else filter_top_k(z, top_k)
    z = z if top_p is None else filter_top_p(z, top_p)
    expected = torch.softmax(z, -1)  # (8,)
    n = 40_000
    draws = sample(logits.expand(n, -1), temperature, top_k, top_p,
                   torch.Generator().manual_seed(0))
    counts = torch.bincount(draws, minlength=8).double()
    support = expected > 0
    assert counts[~support].sum() == 0  # nothing outside the kept set
    chi2 = (((counts - n * expected) ** 2 / (n * expected))[support]).sum().item()
    # df = |support| - 1 <= 7; the 0.999 quantile of chi-square(7) is 24.3
    assert chi2 < 24.3, chi2


def test_plain_sampling_is_multinomial_of_the_softmax_with_the_same_generator():
    logits = torch.randn(50, 7, generator=torch.Generator().manual_seed(3))
    draws = sample(logits, generator=torch.Generator().manual_seed(4))
    reference = torch.multinomial(torch.softmax(logits, -1), 1,
                                  generator=torch.Generator().manual_seed(4)).squeeze(-1)
    assert torch.equal(draws, reference)


def test_same_seed_same_sequences_other_seed_other_sequences(table_lm):
    model = table_lm(V, 0, scale=0.5, max_prefix=14)

    def run(seed):
        return sample_decode(model, BOS, EOS, 12, 8, temperature=1.3, top_p=0.95,
                             generator=torch.Generator().manual_seed(seed))

    a, b, c = run(0), run(0), run(1)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.token_log_probs, b.token_log_probs)
    assert not torch.equal(a.tokens, c.tokens)
    assert torch.all(a.log_prob <= 0) and torch.all(a.lengths >= 1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"temperature": 0.0}, "temperature must be a real number > 0, got 0.0"),
    ({"top_k": 0}, "top_k must be None or an int >= 1, got 0"),
    ({"top_p": 0.0}, r"top_p must be None or a real number in \(0, 1\], got 0.0"),
    ({"top_p": 1.5}, r"top_p must be None or a real number in \(0, 1\], got 1.5"),
])
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        sample(torch.zeros(2, 3), **kwargs)
    with pytest.raises(ConfigError, match=message):
        sample_decode(lambda t, s: (torch.zeros(len(t), 3), None), 0, 2, 3, 1, **kwargs)


def test_filters_refuse_bad_k_and_p():
    with pytest.raises(ConfigError, match="top_k must be None or an int >= 1, got -1"):
        filter_top_k(torch.zeros(3), -1)
    with pytest.raises(ConfigError, match="top_p"):
        filter_top_p(torch.zeros(3), math.nan)
