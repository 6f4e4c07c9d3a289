"""Tests for mllab.attention.multi_head: both paths against ``nn.MultiheadAttention`` with the
weights copied (values, input and parameter gradients, float64), the invariants of
self-attention, and incremental decoding with the kv cache."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mllab.attention.masks import causal_mask, padding_mask, window_mask
from mllab.attention.multi_head import KVCache, MultiHeadAttention
from mllab.config import ConfigError

f64 = torch.float64
SHAPES = [(1, 1, 1, 4, 1), (2, 5, 5, 8, 2), (3, 4, 6, 12, 3), (2, 7, 3, 16, 4)]  # B Tq Tk d nh
MASKS = ["none", "padding", "causal", "window"]


def _pair(d: int, nh: int, bias: bool = True, reference: bool = False, seed: int = 0):
    torch.manual_seed(seed)
    ours = MultiHeadAttention(d, nh, bias=bias, reference=reference).double()
    theirs = nn.MultiheadAttention(d, nh, bias=bias, batch_first=True).double()
    copy_into_torch(ours, theirs)
    return ours, theirs


def copy_into_torch(ours: MultiHeadAttention, theirs: nn.MultiheadAttention) -> None:
    """``in_proj_weight`` is ``[W_q; W_k; W_v]`` stacked by rows."""
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight,
                                               ours.v_proj.weight]))
        theirs.out_proj.weight.copy_(ours.out_proj.weight)
        if ours.q_proj.bias is not None:
            theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias,
                                                 ours.v_proj.bias]))
            theirs.out_proj.bias.copy_(ours.out_proj.bias)


def _masks(kind: str, B: int, Tq: int, Tk: int, g: torch.Generator):
    """Ours (True = may attend) and torch's (attn_mask, key_padding_mask; True = not allowed)."""
    if kind == "padding":
        m = padding_mask(torch.randint(1, Tk + 1, (B,), generator=g), Tk)  # (B, 1, 1, Tk)
        return m, None, ~m[:, 0, 0]
    if kind == "causal":
        m = causal_mask(Tq, Tk) if Tk >= Tq else causal_mask(Tq)[:, :Tk]
    elif kind == "window":
        m = window_mask(max(Tq, Tk), 1 if Tq == Tk else max(Tq, Tk), 1)[:Tq, :Tk]
    else:
        return None, None, None
    return m, ~m, None


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("use_reference", [False, True], ids=["fused", "reference"])
def test_equals_torch_multihead_attention(shape, kind, use_reference):
    B, Tq, Tk, d, nh = shape
    ours, theirs = _pair(d, nh, reference=use_reference)
    g = torch.Generator().manual_seed(1)
    query = torch.randn(B, Tq, d, generator=g, dtype=f64, requires_grad=True)
    key = torch.randn(B, Tk, d, generator=g, dtype=f64, requires_grad=True)
    value = torch.randn(B, Tk, d, generator=g, dtype=f64, requires_grad=True)
    mask, attn_mask, key_padding_mask = _masks(kind, B, Tq, Tk, g)
    out = ours(query, key, value, mask=mask)
    expected, _ = theirs(query, key, value, attn_mask=attn_mask,
                         key_padding_mask=key_padding_mask, need_weights=False)
    assert (out - expected).abs().max() < 1e-12
    inputs = (query, key, value)
    grads = torch.autograd.grad(out.square().sum(), (*inputs, *ours.parameters()))
    expected_grads = torch.autograd.grad(expected.square().sum(),
                                         (*inputs, *theirs.parameters()))
    for a, b in zip(grads[:3], expected_grads[:3], strict=True):
        assert (a - b).abs().max() < 1e-11
    named = dict(zip([n for n, _ in ours.named_parameters()], grads[3:], strict=True))
    theirs_named = dict(zip([n for n, _ in theirs.named_parameters()], expected_grads[3:],
                            strict=True))
    in_proj = torch.cat([named["q_proj.weight"], named["k_proj.weight"], named["v_proj.weight"]])
    assert (in_proj - theirs_named["in_proj_weight"]).abs().max() < 1e-11
    in_bias = torch.cat([named["q_proj.bias"], named["k_proj.bias"], named["v_proj.bias"]])
    assert (in_bias - theirs_named["in_proj_bias"]).abs().max() < 1e-11
    assert (named["out_proj.weight"] - theirs_named["out_proj.weight"]).abs().max() < 1e-11


@pytest.mark.parametrize("kind", MASKS)
def test_weights_equal_torch_per_head_sum_to_one_and_vanish_where_masked(kind):
    ours, theirs = _pair(8, 2, bias=False)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, 5, 8, generator=g, dtype=f64)
    mask, attn_mask, key_padding_mask = _masks(kind, 3, 5, 5, g)
    out, w = ours(x, mask=mask, need_weights=True)
    expected, w_torch = theirs(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                               average_attn_weights=False)
    assert w.shape == (3, 2, 5, 5)
    assert (w - w_torch).abs().max() < 1e-13 and (out - expected).abs().max() < 1e-12
    assert torch.allclose(w.sum(-1), torch.ones(3, 2, 5, dtype=f64))
    if mask is not None:
        assert bool((w.masked_select(~mask.expand_as(w)) == 0).all())


def test_self_attention_includes_each_token_itself():
    ours, _ = _pair(4, 2)
    x = torch.randn(1, 3, 4, dtype=f64)
    _, w = ours(x, mask=window_mask(3, 0, 0), need_weights=True)  # only the diagonal visible
    assert torch.equal(w[0, 0], torch.eye(3, dtype=f64))


@pytest.mark.parametrize("use_reference", [False, True])
def test_causal_outputs_never_depend_on_the_future(use_reference):
    ours, _ = _pair(8, 4, reference=use_reference)
    x = torch.randn(2, 6, 8, dtype=f64)
    changed = x.clone()
    changed[:, 3:] += 1.0
    a, b = ours(x, is_causal=True), ours(changed, is_causal=True)
    assert torch.equal(a[:, :3], b[:, :3]) and not torch.allclose(a[:, 3:], b[:, 3:])


def test_without_positions_self_attention_is_permutation_equivariant():
    ours, _ = _pair(12, 3)
    x = torch.randn(2, 7, 12, dtype=f64)
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ours(x[:, perm]), ours(x)[:, perm], atol=1e-13)


@pytest.mark.parametrize("use_reference", [False, True])
def test_incremental_decoding_with_the_cache_equals_the_full_causal_computation(use_reference):
    ours, _ = _pair(8, 2, reference=use_reference)
    x = torch.randn(3, 6, 8, dtype=f64)
    full = ours(x, is_causal=True)
    cache = KVCache()
    steps = [ours(x[:, t : t + 1], is_causal=True, kv_cache=cache) for t in range(6)]
    assert cache.length == 6 and cache.k.shape == (3, 2, 6, 4)
    assert (torch.cat(steps, dim=1) - full).abs().max() < 1e-13
    cache = KVCache()  # a prompt of 4 steps at once, then 2 single steps
    chunks = [ours(x[:, :4], is_causal=True, kv_cache=cache)]
    chunks += [ours(x[:, t : t + 1], is_causal=True, kv_cache=cache) for t in (4, 5)]
    assert (torch.cat(chunks, dim=1) - full).abs().max() < 1e-13


def test_a_static_cache_reuses_the_memory_projections():
    ours, _ = _pair(8, 2)
    memory, y = torch.randn(2, 5, 8, dtype=f64), torch.randn(2, 3, 8, dtype=f64)
    full = ours(y, memory)
    cache = KVCache(static=True)
    first = ours(y[:, :1], memory, kv_cache=cache)
    rest = ours(y[:, 1:], torch.zeros(2, 5, 8, dtype=f64), kv_cache=cache)  # memory ignored now
    assert cache.length == 5
    assert (torch.cat([first, rest], dim=1) - full).abs().max() < 1e-13


def test_refuses_bad_settings():
    with pytest.raises(ConfigError, match="num_heads must be a divisor of d_model = 6"):
        MultiHeadAttention(6, 4)
    with pytest.raises(ConfigError, match="dropout must be a float in"):
        MultiHeadAttention(6, 2, dropout=-0.1)


def test_dropout_acts_in_training_mode_only():
    torch.manual_seed(0)
    layer = MultiHeadAttention(8, 2, dropout=0.5).double()
    x = torch.randn(2, 5, 8, dtype=f64)
    layer.eval()
    assert torch.equal(layer(x), layer(x))
    layer.train()
    assert not torch.allclose(layer(x), layer(x))
