"""Tests for mllab.seq2seq.guided_attention: the weights W_nt and the loss of arXiv:1710.08969
§4.1 by hand, the diagonal as the minimum, padded batches, validation and gradients."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.seq2seq.guided_attention import (
    GuidedAttentionLoss,
    guide_weights,
    guided_attention_loss,
)

f64 = torch.float64


def _W(n, N, t, T, g):
    return 1 - math.exp(-((n / N - t / T) ** 2) / (2 * g * g))


def test_weights_by_hand():
    W = guide_weights(3, 2, 0.2)  # T = 3 output rows, N = 2 input columns
    expected = [[_W(n, 2, t, 3, 0.2) for n in range(2)] for t in range(3)]
    assert torch.allclose(W, torch.tensor(expected, dtype=f64), atol=0, rtol=1e-14)
    assert W[0, 0] == 0 and W[2, 0] == pytest.approx(1 - math.exp(-(2 / 3) ** 2 / 0.08))


def test_loss_by_hand():
    a = torch.tensor([[[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]]], dtype=f64)  # (B=1, T=3, N=2)
    total = sum(a[0, t, n].item() * _W(n, 2, t, 3, 0.2) for t in range(3) for n in range(2))
    assert guided_attention_loss(a).item() == pytest.approx(total / 6, rel=1e-14)
    assert guided_attention_loss(a, 0.5).item() == pytest.approx(
        sum(a[0, t, n].item() * _W(n, 2, t, 3, 0.5) for t in range(3) for n in range(2)) / 6)


def test_a_diagonal_attention_has_the_minimal_loss():
    T = N = 6
    eye = torch.eye(6, dtype=f64)[None]
    assert guided_attention_loss(eye).item() == 0.0  # W vanishes on the diagonal
    uniform = torch.full((1, T, N), 1 / N, dtype=f64)
    assert guided_attention_loss(uniform) > 0.05
    # T != N: every row on its nearest column is the least a row-stochastic matrix can cost
    T, N = 9, 4
    W = guide_weights(T, N)
    nearest = torch.nn.functional.one_hot(W.argmin(-1), N).to(f64)[None]  # (1, T, N)
    least = W.min(-1).values.sum() / (T * N)
    assert guided_attention_loss(nearest).item() == pytest.approx(least.item(), rel=1e-14)
    assert least < 0.2 * guided_attention_loss(torch.full((1, T, N), 1 / N, dtype=f64))
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        a = torch.softmax(3 * torch.randn(1, T, N, generator=g, dtype=f64), -1)
        assert guided_attention_loss(a) >= least


def test_padding_positions_do_not_count():
    g = torch.Generator().manual_seed(1)
    a1 = torch.softmax(torch.randn(1, 4, 3, generator=g, dtype=f64), -1)
    a2 = torch.softmax(torch.randn(1, 6, 5, generator=g, dtype=f64), -1)
    batch = torch.softmax(torch.randn(2, 6, 5, generator=g, dtype=f64), -1)  # junk in padding
    batch[0, :4, :3] = a1[0]
    batch[1] = a2[0]
    loss = guided_attention_loss(batch, tgt_len=torch.tensor([4, 6]),
                                 src_len=torch.tensor([3, 5]))
    sums = [guided_attention_loss(x) * x.shape[1] * x.shape[2] for x in (a1, a2)]
    assert loss.item() == pytest.approx(((sums[0] + sums[1]) / (12 + 30)).item(), rel=1e-13)
    W = guide_weights(6, 5, tgt_len=torch.tensor([4, 6]), src_len=torch.tensor([3, 5]))
    assert W[0, 4:].abs().sum() == 0 and W[0, :, 3:].abs().sum() == 0
    assert torch.allclose(W[0, :4, :3], guide_weights(4, 3)) and torch.allclose(
        W[1], guide_weights(6, 5))


def test_gradients_are_the_weights_over_the_count():
    a = torch.softmax(torch.randn(2, 4, 3, dtype=f64), -1).requires_grad_()
    tgt_len, src_len = torch.tensor([4, 2]), torch.tensor([3, 3])
    guided_attention_loss(a, tgt_len=tgt_len, src_len=src_len).backward()
    W = guide_weights(4, 3, tgt_len=tgt_len, src_len=src_len)
    assert torch.allclose(a.grad, W / (12 + 6))
    assert torch.autograd.gradcheck(
        lambda x: guided_attention_loss(torch.softmax(x, -1), tgt_len=tgt_len, src_len=src_len),
        (torch.randn(2, 4, 3, dtype=f64, requires_grad=True),))


@pytest.mark.parametrize("g", [0, -0.2, float("inf"), float("nan"), "0.2", True])
def test_g_is_validated(g):
    with pytest.raises(ConfigError, match="g must be a finite number > 0"):
        GuidedAttentionLoss(g)
    with pytest.raises(ConfigError):
        guide_weights(3, 3, g)


def test_lengths_are_validated():
    with pytest.raises(ValueError, match="both"):
        guide_weights(3, 3, tgt_len=torch.tensor([3]))
    with pytest.raises(ValueError, match=r"src_len must have shape \(B,\) with values in"):
        guide_weights(3, 3, tgt_len=torch.tensor([3]), src_len=torch.tensor([4]))


def test_the_module_equals_the_function():
    a = torch.softmax(torch.randn(2, 5, 4), -1)
    m = GuidedAttentionLoss(0.3)
    assert torch.equal(m(a), guided_attention_loss(a, 0.3)) and "g=0.3" in repr(m)
