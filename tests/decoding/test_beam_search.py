"""Beam search: width 1 is greedy, full width is exact enumeration (with and without length
normalisation), the key/value-cache path equals recomputation, batch items are independent."""

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding.beam_search import beam_search
from mllab.decoding.greedy import greedy_decode

V, EOS, BOS = 5, 4, 5  # four words, EOS, and BOS as an input-only token


@pytest.mark.parametrize("seed", range(4))
def test_width_one_is_greedy_tokens_and_scores(table_lm, attention_lm, seed):
    prompts = torch.randint(0, V, (3, 2), generator=torch.Generator().manual_seed(seed))
    for model in (table_lm(V, seed, scale=0.7, max_prefix=9), attention_lm(V + 1, V, seed).full):
        greedy = greedy_decode(model, prompts, EOS, 7)
        beam = beam_search(model, prompts, EOS, 7, beam_width=1)
        assert torch.equal(beam.tokens, greedy.tokens)
        assert torch.equal(beam.lengths[:, 0], greedy.lengths)
        assert torch.allclose(beam.score, greedy.log_prob, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0, 2.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_width_finds_the_best_normalised_sequence_of_the_enumeration(table_lm, seed, alpha):
    model, max_len = table_lm(V, seed, scale=2.0), 4
    ranked = sorted(((lp / len(y) ** alpha, lp, y) for y, lp in
                     model.enumerate([BOS], EOS, max_len)), reverse=True)  # 341 sequences
    K = V * (V - 1) ** (max_len - 1)  # every extension of every live hypothesis ranks within K
    out = beam_search(model, BOS, EOS, max_len, 1, beam_width=K, alpha=alpha)
    best_score, best_lp, best = ranked[0]
    assert out.tokens[0, :len(best)].tolist() == best
    assert out.score.item() == pytest.approx(best_score, abs=1e-10)
    assert out.log_probs[0, 0].item() == pytest.approx(best_lp, abs=1e-10)
    n = 20  # the n-best list is the head of the ranking too
    assert out.scores[0, :n].tolist() == pytest.approx([r[0] for r in ranked[:n]], abs=1e-10)


def test_length_normalisation_turns_a_short_winner_into_a_long_one():
    # EOS now: 0.5 (s = ln 0.5 / 1^a); A then EOS: 0.5 * 0.9 = 0.45 (s = ln 0.45 / 2^a).
    table = {(): [0.5, 1e-9, 0.5], (0,): [0.05, 0.05, 0.9], (1,): [0.1, 0.1, 0.8]}

    def model(tokens, state):
        return torch.tensor([table[tuple(t[1:].tolist())] for t in tokens]).log(), None

    unnormalised = beam_search(model, 3, 2, 2, 1, beam_width=2, alpha=0.0)
    per_token = beam_search(model, 3, 2, 2, 1, beam_width=2, alpha=1.0)
    assert unnormalised.tokens[0, :1].tolist() == [2]
    assert per_token.tokens[0].tolist() == [0, 2]
    assert per_token.score.item() == pytest.approx(math.log(0.45) / 2, rel=1e-6)


def test_beam_search_finds_what_greedy_misses():
    table = {(): [0.6, 0.4, 0.0], (0,): [0.4, 0.3, 0.3], (1,): [0.05, 0.05, 0.9]}

    def model(tokens, state):
        return torch.tensor([table[tuple(t[1:].tolist())] for t in tokens]).log(), None

    out = beam_search(model, 3, 2, 2, 1, beam_width=2)
    assert out.tokens.tolist() == [[1, 2]]  # B EOS, 0.36 > greedy's A A, 0.24
    assert out.score.exp().item() == pytest.approx(0.36)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_the_key_value_cache_reordered_equals_recomputing_the_prefix(attention_lm, alpha):
    model = attention_lm(V + 1, V, seed=3)
    prompts = torch.randint(0, V, (3, 2), generator=torch.Generator().manual_seed(3))
    full = beam_search(model.full, prompts, EOS, 8, beam_width=4, alpha=alpha)
    cached = beam_search(model.cached, prompts, EOS, 8, beam_width=4, alpha=alpha)
    assert torch.equal(full.sequences, cached.sequences)
    assert torch.allclose(full.scores, cached.scores, atol=1e-12)
    stale = beam_search(model.cached, prompts, EOS, 8, beam_width=4, alpha=alpha,
                        reorder=lambda state, index: state)  # the cache not following beams
    assert not torch.allclose(stale.scores, full.scores)


def test_batch_items_are_independent(table_lm):
    model = table_lm(V, seed=5, scale=0.8, max_prefix=9)
    prompts = torch.randint(0, V, (4, 2), generator=torch.Generator().manual_seed(5))
    batched = beam_search(model, prompts, EOS, 6, beam_width=3, alpha=0.7)
    for b in range(4):
        alone = beam_search(model, prompts[b:b + 1], EOS, 6, beam_width=3, alpha=0.7)
        T = alone.sequences.shape[-1]
        assert torch.equal(batched.sequences[b, :, :T], alone.sequences[0])
        assert torch.all(batched.sequences[b, :, T:] == EOS)
        assert torch.equal(batched.scores[b], alone.scores[0])


def test_n_best_is_sorted_and_lengths_match_the_eos(table_lm):
    out = beam_search(table_lm(V, 7, scale=0.5, max_prefix=9), BOS, EOS, 6, 2, beam_width=4)
    assert torch.all(out.scores[:, :-1] >= out.scores[:, 1:])
    for seq, length in zip(out.sequences.flatten(0, 1), out.lengths.flatten(), strict=True):
        y = seq.tolist()
        assert length == (y.index(EOS) + 1 if EOS in y else 6)


def test_fewer_sequences_than_beams_leaves_empty_slots():
    out = beam_search(lambda t, s: (torch.zeros(len(t), 3), None), 3, 2, 1, 1, beam_width=5)
    assert out.scores[0, 3:].tolist() == [-math.inf, -math.inf] and out.lengths[0, 3:].sum() == 0
    assert out.sequences[0, 3:].tolist() == [[2], [2]]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"beam_width": 0}, "beam_width must be an integer >= 1, got 0"),
    ({"alpha": -0.5}, "alpha must be a real number >= 0, got -0.5"),
    ({"max_len": 0}, "max_len must be an integer >= 1, got 0"),
])
def test_bad_arguments_name_themselves(kwargs, message):
    args = {"max_len": 3} | kwargs
    with pytest.raises(ConfigError, match=message):
        beam_search(lambda t, s: (torch.zeros(len(t), 3), None), 0, 2, batch_size=1, **args)


def _conditioned(model, M):
    """The table model plus a per-item memory (an encoder's output) kept in a dict state."""
    def step(tokens, state):
        logits, _ = model(tokens, None)
        return logits + state["memory"] @ M, {**state, "calls": state["calls"] + 1}
    return step


def test_an_initial_state_is_repeated_per_beam_and_conditions_each_item(table_lm):
    g = torch.Generator().manual_seed(8)
    memory = 3.0 * torch.randn(3, 4, generator=g, dtype=torch.float64)  # (B, 4)
    step = _conditioned(table_lm(V, 8, scale=0.5, max_prefix=9),
                        torch.randn(4, V, generator=g, dtype=torch.float64))
    batched = beam_search(step, BOS, EOS, 6, 3, beam_width=3, alpha=1.0,
                          init_state={"memory": memory, "calls": 0})
    for b in range(3):
        alone = beam_search(step, BOS, EOS, 6, 1, beam_width=3, alpha=1.0,
                            init_state={"memory": memory[b:b + 1], "calls": 0})
        assert torch.equal(batched.scores[b], alone.scores[0])
    assert len({tuple(t) for t in batched.tokens.tolist()}) > 1  # the memory matters
    greedy = greedy_decode(step, BOS, EOS, 6, 3, init_state={"memory": memory, "calls": 0})
    beam1 = beam_search(step, BOS, EOS, 6, 3, beam_width=1,
                        init_state={"memory": memory, "calls": 0})
    assert torch.equal(greedy.tokens, beam1.tokens)


def test_the_search_stops_once_k_finished_beat_every_live_hypothesis():
    calls = []

    def model(tokens, state):  # EOS has probability 0.9 after every prefix
        calls.append(tokens.shape[1])
        return torch.tensor([[0.05, 0.05, 0.9]]).log().expand(len(tokens), -1), None

    out = beam_search(model, 3, 2, 50, 1, beam_width=2)
    assert len(calls) == 2  # EOS (0.9) at step 1, then A EOS or B EOS (0.045) at step 2
    assert out.scores.exp()[0].tolist() == pytest.approx([0.9, 0.045])
