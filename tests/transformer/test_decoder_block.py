"""Tests for mllab.transformer.decoder_block: equal to ``nn.TransformerDecoderLayer`` with the
weights copied (post-LN and pre-LN, causal target mask, source padding; values and gradients
in float64), and incremental decoding with the cache equal to the full causal computation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mllab.attention.masks import causal_mask, padding_mask
from mllab.transformer.decoder_block import DecoderBlock, DecoderBlockCache

sys.path.insert(0, str(Path(__file__).parent))
from torch_weights import copy_attention  # noqa: E402

f64 = torch.float64


def _pair(norm_first: bool, reference: bool = False):
    torch.manual_seed(0)
    ours = DecoderBlock(8, 2, 16, norm_first=norm_first, reference=reference).double()
    theirs = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                        norm_first=norm_first).double()
    with torch.no_grad():
        for p in ours.parameters():
            p.add_(0.1 * torch.randn_like(p))
    copy_attention(ours.self_attn, theirs.self_attn)
    copy_attention(ours.cross_attn, theirs.multihead_attn)
    theirs.linear1.load_state_dict(ours.ffn[0].state_dict())
    theirs.linear2.load_state_dict(ours.ffn[3].state_dict())
    for i in (1, 2, 3):
        getattr(theirs, f"norm{i}").load_state_dict(getattr(ours, f"norm{i}").state_dict())
    return ours.eval(), theirs.eval()


@pytest.mark.parametrize("padded", [False, True], ids=["full", "padded"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_equals_torch_decoder_layer_values_and_gradients(norm_first, padded):
    ours, theirs = _pair(norm_first)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 6, 8, generator=g, dtype=f64, requires_grad=True)
    memory = torch.randn(3, 5, 8, generator=g, dtype=f64, requires_grad=True)
    memory_mask = padding_mask(torch.tensor([5, 2, 3]), 5) if padded else None
    out = ours(x, memory, memory_mask=memory_mask)
    expected = theirs(x, memory, tgt_mask=~causal_mask(6), tgt_is_causal=True,
                      memory_key_padding_mask=None if memory_mask is None
                      else ~memory_mask[:, 0, 0])
    assert (out - expected).abs().max() < 1e-10
    grads = torch.autograd.grad(out.sin().sum(), (x, memory, *ours.parameters()))
    expected_grads = torch.autograd.grad(expected.sin().sum(),
                                         (x, memory, *theirs.parameters()))
    for a, b in zip(grads[:2], expected_grads[:2], strict=True):
        assert (a - b).abs().max() < 1e-10
    ours_named = dict(zip([n for n, _ in ours.named_parameters()], grads[2:], strict=True))
    theirs_named = dict(zip([n for n, _ in theirs.named_parameters()], expected_grads[2:],
                            strict=True))
    pairs = [(torch.cat([ours_named[f"self_attn.{r}_proj.weight"] for r in "qkv"]),
              "self_attn.in_proj_weight"),
             (torch.cat([ours_named[f"cross_attn.{r}_proj.bias"] for r in "qkv"]),
              "multihead_attn.in_proj_bias"),
             (ours_named["cross_attn.out_proj.weight"], "multihead_attn.out_proj.weight"),
             (ours_named["ffn.0.weight"], "linear1.weight"),
             (ours_named["ffn.3.weight"], "linear2.weight"),
             (ours_named["norm3.weight"], "norm3.weight")]
    for grad, name in pairs:
        assert (grad - theirs_named[name]).abs().max() < 1e-10, name


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("use_reference", [False, True], ids=["fused", "reference"])
def test_incremental_decoding_equals_the_full_causal_computation(norm_first, use_reference):
    ours, _ = _pair(norm_first, reference=use_reference)
    x, memory = torch.randn(2, 7, 8, dtype=f64), torch.randn(2, 4, 8, dtype=f64)
    memory_mask = padding_mask(torch.tensor([4, 2]), 4)
    full = ours(x, memory, memory_mask=memory_mask)
    cache = DecoderBlockCache()
    steps = [ours(x[:, t : t + 1], memory, memory_mask=memory_mask, cache=cache)
             for t in range(7)]
    assert cache.self_attn.length == 7 and cache.cross_attn.length == 4
    assert (torch.cat(steps, dim=1) - full).abs().max() < 1e-12


def test_outputs_never_depend_on_future_targets():
    ours, _ = _pair(False)
    x, memory = torch.randn(1, 5, 8, dtype=f64), torch.randn(1, 3, 8, dtype=f64)
    changed = x.clone()
    changed[:, 2:] = torch.randn(1, 3, 8, dtype=f64)
    assert torch.equal(ours(x, memory)[:, :2], ours(changed, memory)[:, :2])
    assert not torch.allclose(ours(x, memory, is_causal=False)[:, :2],
                              ours(changed, memory, is_causal=False)[:, :2])


def test_cross_attention_reads_the_memory():
    ours, _ = _pair(True)
    x, memory = torch.randn(1, 3, 8, dtype=f64), torch.randn(1, 4, 8, dtype=f64)
    assert not torch.allclose(ours(x, memory), ours(x, memory + 1))
