"""Tests for mllab.attention.scores: dot-product and additive scores by hand."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.attention.scores import AdditiveScore, additive_scores, dot_product_scores
from mllab.config import ConfigError

f64 = torch.float64


def test_dot_product_by_hand():
    q = torch.tensor([[1.0, 2.0, 0.0, 1.0]], dtype=f64)  # Tq = 1, hs = 4
    k = torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, -2.0]], dtype=f64)  # Tk = 2
    assert dot_product_scores(q, k, scale=False).tolist() == [[2.0, 0.0]]
    assert torch.allclose(dot_product_scores(q, k), torch.tensor([[1.0, 0.0]], dtype=f64))


def test_dot_product_is_the_batched_matrix_product_over_sqrt_dk():
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 3, 5, 8, generator=g, dtype=f64), torch.randn(2, 3, 7, 8, generator=g,
                                                                        dtype=f64)
    alpha = dot_product_scores(q, k)
    assert alpha.shape == (2, 3, 5, 7)
    assert torch.allclose(alpha[1, 2, 4, 6], q[1, 2, 4] @ k[1, 2, 6] / math.sqrt(8))


def test_dot_product_refuses_different_sizes():
    with pytest.raises(ValueError, match="same last dim"):
        dot_product_scores(torch.zeros(2, 3), torch.zeros(2, 4))


def test_additive_score_by_hand():
    q = torch.tensor([[1.0, -1.0]], dtype=f64)  # Tq = 1, dq = 2
    k = torch.tensor([[0.5], [2.0]], dtype=f64)  # Tk = 2, dk = 1
    W = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]], dtype=f64)  # (d_hidden=2, 3)
    w = torch.tensor([2.0, 1.0], dtype=f64)
    expected = [[2 * math.tanh(1 + 0.5) + math.tanh(-1 - 0.5),
                 2 * math.tanh(1 + 2.0) + math.tanh(-1 - 2.0)]]
    assert torch.allclose(additive_scores(q, k, W, w), torch.tensor(expected, dtype=f64))


def test_additive_score_equals_the_explicit_concatenation():
    g = torch.Generator().manual_seed(1)
    score = AdditiveScore(3, 4, 5, generator=g).double()
    q = torch.randn(2, 6, 3, generator=g, dtype=f64)
    k = torch.randn(2, 7, 4, generator=g, dtype=f64)
    pairs = torch.cat([q[:, :, None, :].expand(2, 6, 7, 3),
                       k[:, None, :, :].expand(2, 6, 7, 4)], dim=-1)  # (B, Tq, Tk, dq + dk)
    expected = torch.tanh(pairs @ score.W.T) @ score.w
    assert torch.allclose(score(q, k), expected, atol=1e-12)
    assert score(q, k).shape == (2, 6, 7)


def test_additive_score_init_is_seeded_and_has_gradients():
    a = AdditiveScore(2, 2, 3, generator=torch.Generator().manual_seed(5))
    b = AdditiveScore(2, 2, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.W, b.W) and torch.equal(a.w, b.w)
    a(torch.randn(1, 2, 2), torch.randn(1, 3, 2)).sum().backward()
    assert a.W.grad is not None and a.W.grad.abs().sum() > 0


def test_additive_score_refuses_bad_sizes():
    with pytest.raises(ConfigError, match="d_hidden must be an integer >= 1"):
        AdditiveScore(2, 2, 0)
    with pytest.raises(ValueError, match="columns"):
        additive_scores(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(3, 5), torch.zeros(3))
