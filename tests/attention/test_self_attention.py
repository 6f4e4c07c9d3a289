"""Tests for mllab.attention.self_attention: the lecture's matrices, both paths against
``F.scaled_dot_product_attention`` (values and gradients, float64), and the invariants."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mllab.attention.masks import causal_mask, padding_mask, window_mask
from mllab.attention.self_attention import (
    SelfAttention,
    attention,
    attention_weights,
    reference,
)
from mllab.config import ConfigError

f64 = torch.float64
SHAPES = [(1, 1, 1, 4), (2, 5, 5, 8), (3, 4, 7, 6), (2, 9, 3, 16)]  # (B, Tq, Tk, hs)
MASKS = ["none", "padding", "causal", "window"]


def _mask(kind: str, B: int, Tq: int, Tk: int, g: torch.Generator) -> torch.Tensor | None:
    if kind == "padding":
        return padding_mask(torch.randint(1, Tk + 1, (B,), generator=g), Tk)[:, 0]  # (B, 1, Tk)
    if kind == "causal":
        return causal_mask(Tq, max(Tq, Tk))[:, -Tk:] if Tk >= Tq else causal_mask(Tq)[:, :Tk]
    if kind == "window":
        left = 1 if Tq == Tk else max(Tq, Tk)  # no query without a visible key
        return window_mask(max(Tq, Tk), left, 1)[:Tq, :Tk]
    return None


def _inputs(B, Tq, Tk, hs, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, T, hs, generator=g, dtype=f64, requires_grad=True)
            for T in (Tq, Tk, Tk)], g


def test_lecture_matrices_by_hand():
    I = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=f64)  # noqa: E741 - two tokens as columns
    W = torch.eye(2, dtype=f64)
    m = reference(I, W, W, 2 * W, scale=False)
    assert torch.equal(m.A, torch.eye(2, dtype=f64))  # k^j . q^i
    e = math.e / (1 + math.e)
    assert torch.allclose(m.A_prime, torch.tensor([[e, 1 - e], [1 - e, e]], dtype=f64))
    assert torch.allclose(m.O, 2 * m.A_prime)
    assert torch.allclose(m.A_prime.sum(0), torch.ones(2, dtype=f64))  # each column sums to 1


def test_lecture_matrices_are_the_transposes_of_the_batch_first_computation():
    g = torch.Generator().manual_seed(3)
    I = torch.randn(6, 5, generator=g, dtype=f64)  # noqa: E741 - (d, N)
    W_q, W_k, W_v = (torch.randn(d, 6, generator=g, dtype=f64) for d in (4, 4, 3))
    m = reference(I, W_q, W_k, W_v)
    X = I.T[None]  # (1, N, d): tokens as rows
    q, k, v = X @ W_q.T, X @ W_k.T, X @ W_v.T
    assert torch.allclose(attention_weights(q, k)[0], m.A_prime.T, atol=1e-13)
    assert torch.allclose(attention(q, k, v)[0], m.O.T, atol=1e-13)
    assert torch.allclose(attention(q, k, v, reference=True)[0], m.O.T, atol=1e-13)


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("use_reference", [False, True], ids=["fused", "reference"])
def test_both_paths_equal_sdpa_values_and_gradients(shape, kind, use_reference):
    B, Tq, Tk, hs = shape
    (q, k, v), g = _inputs(B, Tq, Tk, hs)
    mask = _mask(kind, B, Tq, Tk, g)
    out = attention(q, k, v, mask, reference=use_reference)
    grads = torch.autograd.grad(out.square().sum(), (q, k, v))
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    expected_grads = torch.autograd.grad(expected.square().sum(), (q, k, v))
    assert (out - expected).abs().max() < 1e-12
    for a, b in zip(grads, expected_grads, strict=True):
        assert (a - b).abs().max() < 1e-11


@pytest.mark.parametrize("use_reference", [False, True])
def test_is_causal_equals_the_causal_mask_and_unscaled_equals_scale_one(use_reference):
    (q, k, v), _ = _inputs(2, 5, 5, 4)
    a = attention(q, k, v, is_causal=True, reference=use_reference)
    assert torch.allclose(a, attention(q, k, v, causal_mask(5), reference=use_reference))
    b = attention(q, k, v, scale=False, reference=use_reference)
    assert torch.allclose(b, F.scaled_dot_product_attention(q, k, v, scale=1.0), atol=1e-12)


@pytest.mark.parametrize("kind", MASKS)
def test_weights_sum_to_one_over_keys_and_are_zero_where_masked(kind):
    (q, k, _), g = _inputs(3, 6, 6, 4, seed=2)
    mask = _mask(kind, 3, 6, 6, g)
    w = attention_weights(q, k, mask)
    assert torch.allclose(w.sum(-1), torch.ones(3, 6, dtype=f64))
    if mask is not None:
        assert bool((w.masked_select(~mask.expand_as(w)) == 0).all())
        assert bool((w.masked_select(mask.expand_as(w)) > 0).all())


@pytest.mark.parametrize("use_reference", [False, True])
def test_causal_outputs_never_depend_on_future_tokens(use_reference):
    torch.manual_seed(0)
    layer = SelfAttention(4, 6, reference=use_reference).double()
    x = torch.randn(2, 7, 4, dtype=f64)
    changed = x.clone()
    changed[:, 4:] = torch.randn(2, 3, 4, dtype=f64)
    a, b = layer(x, is_causal=True), layer(changed, is_causal=True)
    assert torch.equal(a[:, :4], b[:, :4])
    assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_self_attention_is_permutation_equivariant():
    torch.manual_seed(1)
    layer = SelfAttention(5, 4, 3).double()
    x = torch.randn(2, 6, 5, dtype=f64)
    perm = torch.randperm(6, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(layer(x[:, perm]), layer(x)[:, perm], atol=1e-13)


def test_self_attention_module_uses_the_lecture_matrices():
    torch.manual_seed(4)
    layer = SelfAttention(3, 2, 4).double()
    x = torch.randn(1, 5, 3, dtype=f64)
    m = reference(x[0].T, layer.W_q.weight, layer.W_k.weight, layer.W_v.weight)
    assert torch.allclose(layer(x)[0], m.O.T, atol=1e-13)


def test_refuses_bad_settings():
    with pytest.raises(ConfigError, match="d_k must be an integer >= 1"):
        SelfAttention(3, 0)
    with pytest.raises(ConfigError, match="dropout_p must be a float in"):
        attention(*(torch.zeros(1, 2, 2),) * 3, dropout_p=1.0)
