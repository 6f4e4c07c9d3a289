"""Tests for mllab.seq2seq.scheduled_sampling: the three decay schedules of arXiv:1506.03099
§2.4 by hand, epsilon = 1 is teacher forcing, epsilon = 0 with argmax is free-running greedy
decoding, the mix follows the coins of the generator, gradients flow, and the refusals."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding import greedy_decode
from mllab.seq2seq.rnn_seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig
from mllab.seq2seq.scheduled_sampling import (
    ExponentialDecay,
    InverseSigmoidDecay,
    LinearDecay,
    scheduled_sampling_logits,
    step_from_forward,
)


def test_linear_decay_by_hand():
    decay = LinearDecay(c=0.1, k=0.9, epsilon=0.25)
    assert [decay(i) for i in (0, 1, 3)] == pytest.approx([0.9, 0.8, 0.6])
    assert decay(6) == pytest.approx(0.3)  # max(0.25, 0.9 - 0.6)
    assert decay(7) == 0.25 and decay(1000) == 0.25  # the floor: max(0.25, 0.9 - 0.7)


def test_exponential_decay_by_hand():
    decay = ExponentialDecay(k=0.5)
    assert [decay(i) for i in range(4)] == [1.0, 0.5, 0.25, 0.125]


def test_inverse_sigmoid_decay_by_hand():
    decay = InverseSigmoidDecay(k=10.0)
    assert decay(0) == pytest.approx(10 / 11)
    assert decay(20) == pytest.approx(10 / (10 + math.e ** 2))
    assert decay(round(10 * math.log(10))) == pytest.approx(0.5, abs=0.03)  # 1/2 at k ln k
    assert decay(10 ** 6) == 0.0
    values = [decay(i) for i in range(0, 200, 10)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LinearDecay(c=0), "c must be a real number > 0, got 0"),
    (lambda: LinearDecay(c=0.1, k=1.5), r"k must be a real number in \(0, 1\], got 1.5"),
    (lambda: LinearDecay(c=0.1, epsilon=1.0), r"epsilon must be a real number in \[0, 1\)"),
    (lambda: ExponentialDecay(k=1.0), r"k must be a real number in \(0, 1\), got 1.0"),
    (lambda: ExponentialDecay(k=True), r"k must be a real number in \(0, 1\), got True"),
    (lambda: InverseSigmoidDecay(k=0.5), "k must be a real number >= 1, got 0.5"),
    (lambda: ExponentialDecay(k=0.5)(-1), "i must be an integer >= 0"),
    (lambda: LinearDecay(c=0.1)(1.5), "i must be an integer >= 0"),
])
def test_schedule_refusals(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def _model(attention="dot"):
    torch.manual_seed(0)
    return RNNSeq2Seq(RNNSeq2SeqConfig(9, 7, embedding=6, hidden=8,
                                       attention=attention)).double()


def _data():
    g = torch.Generator().manual_seed(3)
    return torch.randint(0, 9, (5, 6), generator=g), torch.randint(0, 7, (5, 8), generator=g)


@pytest.mark.parametrize("feed", ["sample", "argmax"])
def test_epsilon_one_is_teacher_forcing(feed):
    model = _model()
    src, tgt_in = _data()
    step_fn, state = model.step_function(src)
    logits, inputs = scheduled_sampling_logits(step_fn, tgt_in, 1.0, torch.Generator(),
                                               init_state=state, feed=feed)
    assert torch.equal(inputs, tgt_in)
    assert (logits - model(src, tgt_in)).abs().max() < 1e-12


def test_epsilon_zero_with_argmax_is_free_running_greedy_decoding():
    model = _model()
    src, tgt_in = _data()
    step_fn, state = model.step_function(src)
    logits, inputs = scheduled_sampling_logits(step_fn, tgt_in, 0.0, torch.Generator(),
                                               init_state=state, feed="argmax")
    step_fn, state = model.step_function(src)
    eos = 99  # never produced: greedy runs the full length
    greedy = greedy_decode(step_fn, tgt_in[:, :1], eos, 8, init_state=state)
    assert torch.equal(inputs[:, 1:], greedy.tokens[:, :7])
    assert torch.equal(logits.argmax(-1), greedy.tokens)
    assert not torch.equal(inputs, tgt_in)  # the model's tokens, not the gold ones
    assert torch.equal(inputs[:, 1:], logits[:, :-1].argmax(-1))


def test_epsilon_zero_with_sampling_feeds_samples_of_the_models_softmax():
    model = _model()
    src, tgt_in = _data()
    tgt_in = tgt_in.repeat(400, 1)  # (2000, 8)
    step_fn, state = model.step_function(src.repeat(400, 1))
    with torch.no_grad():
        logits, inputs = scheduled_sampling_logits(step_fn, tgt_in, 0.0,
                                                   torch.Generator().manual_seed(0),
                                                   init_state=state)
    p = torch.softmax(logits[:, 0], -1)  # (N, V): the first step reads BOS only
    empirical = torch.nn.functional.one_hot(inputs[:, 1], 7).double()
    for b in range(5):  # rows b, b + 5, ... share their source and first distribution
        rows = torch.arange(b, 2000, 5)
        assert (empirical[rows].mean(0) - p[b]).abs().max() < 0.08


def test_the_mix_follows_the_generators_coins():
    model = _model()
    src, tgt_in = _data()
    runs = []
    for seed in (7, 7, 8):
        step_fn, state = model.step_function(src)
        g = torch.Generator().manual_seed(seed)
        runs.append(scheduled_sampling_logits(step_fn, tgt_in, 0.5, g, init_state=state))
    (l7, i7), (l7b, i7b), (_, i8) = runs
    assert torch.equal(i7, i7b) and torch.equal(l7, l7b)
    assert not torch.equal(i7, i8)
    coins = torch.rand(5, 8, generator=torch.Generator().manual_seed(7))
    gold = coins[:, 1:] < 0.5
    assert torch.equal(i7[:, 1:][gold], tgt_in[:, 1:][gold])  # heads: the gold token
    # tails: the model's sample, which differs from the gold token somewhere
    assert (i7[:, 1:][~gold] != tgt_in[:, 1:][~gold]).any()


def test_gradients_flow_into_every_parameter():
    model = _model(attention="additive")
    src, tgt_in = _data()
    step_fn, state = model.step_function(src)
    logits, _ = scheduled_sampling_logits(step_fn, tgt_in, 0.5, torch.Generator().manual_seed(1),
                                          init_state=state)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), tgt_in.flatten())
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_a_model_with_only_a_teacher_forced_forward():
    model = _model()
    src, tgt_in = _data()
    step_fn = step_from_forward(lambda y: model(src, y))
    for epsilon in (1.0, 0.3):
        logits, inputs = scheduled_sampling_logits(step_fn, tgt_in, epsilon,
                                                   torch.Generator().manual_seed(2))
        step_fn2, state = model.step_function(src)
        logits2, inputs2 = scheduled_sampling_logits(step_fn2, tgt_in, epsilon,
                                                     torch.Generator().manual_seed(2),
                                                     init_state=state)
        assert torch.equal(inputs, inputs2)
        assert (logits - logits2).abs().max() < 1e-12


@pytest.mark.parametrize(("kw", "message"), [
    ({"epsilon": 1.5}, r"epsilon must be a real number in \[0, 1\], got 1.5"),
    ({"feed": "beam"}, "feed must be one of 'sample', 'argmax', got 'beam'"),
])
def test_refusals(kw, message):
    step_fn = step_from_forward(lambda y: torch.zeros(y.shape[0], y.shape[1], 3))
    args = {"epsilon": 0.5, "feed": "sample"} | kw
    with pytest.raises(ConfigError, match=message):
        scheduled_sampling_logits(step_fn, torch.zeros(2, 3, dtype=torch.long), args["epsilon"],
                                  torch.Generator(), feed=args["feed"])
