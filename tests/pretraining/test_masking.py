"""Tests for mllab.pretraining.masking: the 15% / 80-10-10 proportions (binomial bounds over
many tokens), only maskable tokens chosen, labels only where chosen, the generator alone decides,
and the refusals."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.masking import IGNORE_INDEX, mask_tokens

MASK, V = 3, 50


def _batch(seed=0, B=200, T=100):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(4, V, (B, T), generator=g)
    maskable = torch.ones(B, T, dtype=torch.bool)
    maskable[:, 0] = maskable[:, -1] = False  # [CLS] ... [SEP]
    return tokens, maskable


def _within(count: int, n: int, q: float, z: float = 5.0) -> bool:
    r"""``count`` of ``n`` Bernoulli(q) draws lies within z standard deviations of n q."""
    return abs(count - n * q) <= z * math.sqrt(n * q * (1 - q))


def test_proportions_are_bert_s():
    tokens, maskable = _batch()
    out = mask_tokens(tokens, maskable, mask_id=MASK, vocab=V,
                      generator=torch.Generator().manual_seed(1))
    n, chosen = int(maskable.sum()), int(out.chosen.sum())
    assert _within(chosen, n, 0.15)
    masked = int((out.inputs[out.chosen] == MASK).sum())
    unchanged = int((out.inputs[out.chosen] == tokens[out.chosen]).sum())
    assert _within(masked, chosen, 0.8)
    # unchanged: the 10% kept plus the random draws that hit the same token (1/V of 10%)
    assert _within(unchanged, chosen, 0.1 + 0.1 / V)
    assert torch.equal(out.inputs[~out.chosen], tokens[~out.chosen])


def test_only_maskable_positions_are_chosen_and_labelled():
    tokens, maskable = _batch(B=20)
    out = mask_tokens(tokens, maskable, mask_id=MASK, vocab=V,
                      generator=torch.Generator().manual_seed(2), p=1.0)
    assert torch.equal(out.chosen, maskable)
    assert torch.equal(out.labels[maskable], tokens[maskable])
    assert (out.labels[~maskable] == IGNORE_INDEX).all()


def test_all_mask_and_all_random_settings():
    tokens, maskable = _batch(B=10)
    g = torch.Generator().manual_seed(3)
    out = mask_tokens(tokens, maskable, mask_id=MASK, vocab=V, generator=g, p=1.0, p_mask=1.0,
                      p_random=0.0)
    assert (out.inputs[maskable] == MASK).all()
    out = mask_tokens(tokens, maskable, mask_id=MASK, vocab=V, generator=g, p=1.0, p_mask=0.0,
                      p_random=0.0)
    assert torch.equal(out.inputs, tokens)


def test_the_generator_alone_decides():
    tokens, maskable = _batch(B=5)
    a = mask_tokens(tokens, maskable, mask_id=MASK, vocab=V,
                    generator=torch.Generator().manual_seed(7))
    torch.manual_seed(123)  # the global generator plays no part
    b = mask_tokens(tokens, maskable, mask_id=MASK, vocab=V,
                    generator=torch.Generator().manual_seed(7))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.labels, b.labels)


@pytest.mark.parametrize(("kw", "message"), [
    ({"p": 0.0}, "p must be a probability in"),
    ({"p_mask": 0.95, "p_random": 0.1}, "p_mask must be"),
    ({"vocab": 0}, "vocab must be an integer >= 1"),
])
def test_refusals(kw, message):
    tokens, maskable = _batch(B=2)
    with pytest.raises(ConfigError, match=message):
        mask_tokens(tokens, maskable, **({"mask_id": MASK, "vocab": V,
                                          "generator": torch.Generator()} | kw))
