"""Greedy decoding against a by-hand argmax loop, on both kinds of step function."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding.greedy import greedy_decode

V, EOS, BOS = 6, 5, 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_token_is_the_argmax_given_its_prefix(table_lm, seed):
    model = table_lm(V, seed, max_prefix=8)
    out = greedy_decode(model, BOS, EOS, 6, 1)
    prefix, expected = [BOS], []
    for _ in range(6):
        logits, _ = model(torch.tensor([prefix]), None)
        expected.append(int(logits.argmax()))
        prefix.append(expected[-1])
        if expected[-1] == EOS:
            break
    assert out.tokens[0].tolist() == expected
    assert out.log_prob.item() == pytest.approx(model.log_prob([BOS], expected), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_key_value_cache_path_equals_recomputing_the_prefix(attention_lm, seed):
    model = attention_lm(V + 1, V, seed)
    prompts = torch.randint(0, V, (4, 3), generator=torch.Generator().manual_seed(seed))
    full = greedy_decode(model.full, prompts, EOS, 10)
    cached = greedy_decode(model.cached, prompts, EOS, 10)
    assert torch.equal(full.tokens, cached.tokens)
    assert torch.allclose(full.token_log_probs, cached.token_log_probs, atol=1e-12)


def test_greedy_is_not_always_the_most_probable_sequence():
    # A (0.6) then A/B/EOS evenly; B (0.4) then EOS (0.9): P(A EOS) = 0.2 < P(B EOS) = 0.36.
    table = {(): [0.6, 0.4, 0.0], (0,): [0.4, 0.3, 0.3], (1,): [0.05, 0.05, 0.9]}

    def model(tokens, state):
        return torch.tensor([table[tuple(t[1:].tolist())] for t in tokens]).log(), None

    out = greedy_decode(model, 3, 2, 2, 1)
    assert out.tokens.tolist() == [[0, 0]]  # A A, probability 0.24 < 0.36
    assert out.log_prob.exp().item() == pytest.approx(0.24)


def test_bad_max_len_names_it():
    with pytest.raises(ConfigError, match="max_len must be an integer >= 1, got 0"):
        greedy_decode(lambda t, s: (torch.zeros(len(t), 3), None), 0, 2, 0, 1)
