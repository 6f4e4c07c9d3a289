"""Tests for mllab.pretraining.next_token: targets are the inputs shifted by one with EOS last
and padding ignored, the loss at initialisation is near ln V, the summed negative
log-likelihood equals a float64 log-softmax by hand, and a small GPT overfits a few sentences
through the step function."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mllab.pretraining import GPT, GPTConfig
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.next_token import (
    NextTokenState,
    next_token_batch,
    next_token_nll,
    next_token_step,
)
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID

SENTENCES = [[5, 6, 7], [8, 9], [10, 11, 12, 13, 14]]


def test_targets_are_the_inputs_shifted_by_one():
    x, y = next_token_batch(SENTENCES, max_len=16)
    assert x.shape == y.shape == (3, 6)
    assert x[0].tolist() == [BOS_ID, 5, 6, 7, PAD_ID, PAD_ID]
    assert y[0].tolist() == [5, 6, 7, EOS_ID, IGNORE_INDEX, IGNORE_INDEX]
    assert y[2].tolist() == [10, 11, 12, 13, 14, EOS_ID]
    x, y = next_token_batch(SENTENCES, max_len=3)  # cut: the EOS of a long one is lost
    assert x[2].tolist() == [BOS_ID, 10, 11] and y[2].tolist() == [10, 11, 12]
    assert y[1].tolist() == [8, 9, EOS_ID]


def _gpt(V=20):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab=V, d_model=32, num_heads=2, d_ff=64, num_layers=1, max_len=16))
    # GPT-2's N(0, 0.02) embeddings: PyTorch's N(0, 1) with the tied output layer gives
    # logits of standard deviation sqrt(d), far from the uniform prediction
    torch.nn.init.normal_(model.token_embedding.weight, std=0.02)
    return model


def test_nll_by_hand_and_loss_at_init_near_ln_V():
    model = _gpt()
    total, count = next_token_nll(model, SENTENCES, max_len=16, batch_size=2)
    assert count == sum(len(s) + 1 for s in SENTENCES)
    expected = 0.0
    for s in SENTENCES:
        x = torch.tensor([[BOS_ID, *s]])
        with torch.no_grad():
            logp = F.log_softmax(model(x)[0].double(), -1)  # (T, V)
        expected -= sum(float(logp[t, y]) for t, y in enumerate([*s, EOS_ID]))
    assert math.isclose(total, expected, rel_tol=1e-6)  # float32 logits, padded batch
    assert abs(total / count - math.log(20)) < 0.1


def test_a_small_gpt_overfits_a_few_sentences():
    model = _gpt()
    state = NextTokenState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
                           generator=torch.Generator().manual_seed(0), sentences=SENTENCES)
    step = next_token_step(batch_size=8, max_len=16)
    first = step(state)["train_loss"]
    for _ in range(200):
        step(state)
    total, count = next_token_nll(model, SENTENCES, max_len=16)
    floor = 3 * math.log(3) / count  # BOS is followed by three tokens equally often
    assert first > 2.5 and floor < total / count < floor + 0.05
