"""Tests for mllab.transformer.encoder_block: equal to ``nn.TransformerEncoderLayer`` with the
weights copied (post-LN and pre-LN, with and without padding; values and gradients, float64)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mllab.attention.masks import padding_mask
from mllab.config import ConfigError
from mllab.transformer.encoder_block import EncoderBlock

sys.path.insert(0, str(Path(__file__).parent))
from torch_weights import copy_attention  # noqa: E402

f64 = torch.float64


def _pair(norm_first: bool, activation: str = "relu"):
    torch.manual_seed(0)
    ours = EncoderBlock(12, 3, 20, norm_first=norm_first, activation=activation).double()
    torch_activation = nn.GELU(approximate="tanh") if activation == "gelu_tanh" else activation
    theirs = nn.TransformerEncoderLayer(12, 3, 20, dropout=0.0, activation=torch_activation,
                                        batch_first=True, norm_first=norm_first).double()
    with torch.no_grad():  # random LayerNorm parameters, so that a swap would show
        for p in ours.parameters():
            p.add_(0.1 * torch.randn_like(p))
    copy_attention(ours.self_attn, theirs.self_attn)
    theirs.linear1.load_state_dict(ours.ffn[0].state_dict())
    theirs.linear2.load_state_dict(ours.ffn[3].state_dict())
    theirs.norm1.load_state_dict(ours.norm1.state_dict())
    theirs.norm2.load_state_dict(ours.norm2.state_dict())
    return ours.eval(), theirs.eval()


@pytest.mark.parametrize("padded", [False, True], ids=["full", "padded"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu_tanh"])
def test_equals_torch_encoder_layer_values_and_gradients(norm_first, padded, activation):
    ours, theirs = _pair(norm_first, activation)
    x = torch.randn(3, 7, 12, dtype=f64, requires_grad=True)
    lengths = torch.tensor([7, 4, 1])
    mask = padding_mask(lengths, 7) if padded else None
    key_padding = ~mask[:, 0, 0] if padded else None  # torch: True = padding
    out = ours(x, mask)
    expected = theirs(x, src_key_padding_mask=key_padding)
    assert (out - expected).abs().max() < 1e-10
    (g_x, *g_ours) = torch.autograd.grad(out.sin().sum(), (x, *ours.parameters()))
    (g_x_torch, *g_theirs) = torch.autograd.grad(expected.sin().sum(), (x, *theirs.parameters()))
    assert (g_x - g_x_torch).abs().max() < 1e-10
    ours_named = dict(zip([n for n, _ in ours.named_parameters()], g_ours, strict=True))
    theirs_named = dict(zip([n for n, _ in theirs.named_parameters()], g_theirs, strict=True))
    in_proj = torch.cat([ours_named[f"self_attn.{r}_proj.weight"] for r in "qkv"])
    pairs = [(in_proj, "self_attn.in_proj_weight"),
             (ours_named["self_attn.out_proj.weight"], "self_attn.out_proj.weight"),
             (ours_named["ffn.0.weight"], "linear1.weight"),
             (ours_named["ffn.3.bias"], "linear2.bias"),
             (ours_named["norm1.weight"], "norm1.weight"),
             (ours_named["norm2.bias"], "norm2.bias")]
    for g, name in pairs:
        assert (g - theirs_named[name]).abs().max() < 1e-10, name


def test_padding_never_changes_the_real_tokens():
    ours, _ = _pair(False)
    x = torch.randn(1, 5, 12, dtype=f64)
    mask = padding_mask(torch.tensor([3]), 5)
    changed = x.clone()
    changed[:, 3:] = torch.randn(1, 2, 12, dtype=f64)
    assert torch.allclose(ours(x, mask)[:, :3], ours(changed, mask)[:, :3], atol=1e-14)
    assert torch.allclose(ours(x, mask)[:, :3], ours(x[:, :3]), atol=1e-14)


def test_post_ln_outputs_are_normalized_and_pre_ln_keeps_the_residual_stream():
    ours, _ = _pair(False)
    with torch.no_grad():
        ours.norm2.weight.fill_(1.0)
        ours.norm2.bias.zero_()
    y = ours(torch.randn(2, 4, 12, dtype=f64))
    assert torch.allclose(y.mean(-1), torch.zeros(2, 4, dtype=f64), atol=1e-12)
    pre, _ = _pair(True)
    x = 100 + torch.randn(2, 4, 12, dtype=f64)  # pre-LN adds bounded branches to x
    assert (pre(x).mean() - 100).abs() < 10


def test_dropout_acts_in_training_mode_only():
    torch.manual_seed(0)
    block = EncoderBlock(8, 2, 16, dropout=0.3)
    x = torch.randn(2, 5, 8)
    block.train()
    assert not torch.allclose(block(x), block(x))
    block.eval()
    assert torch.equal(block(x), block(x))


def test_refuses_bad_settings():
    with pytest.raises(ConfigError, match="activation must be one of 'relu', 'gelu'"):
        EncoderBlock(8, 2, 16, activation="tanh")
    with pytest.raises(ConfigError, match="d_ff must be an integer >= 1"):
        EncoderBlock(8, 2, 0)
    with pytest.raises(ConfigError, match="num_heads must be a divisor of d_model = 8"):
        EncoderBlock(8, 3, 16)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_causal_blocks_equal_torch_with_a_causal_mask_and_a_cache_equals_recomputation(
        norm_first):
    from mllab.attention import KVCache

    ours, theirs = _pair(norm_first, "gelu_tanh")
    x = torch.randn(2, 6, 12, dtype=f64)
    causal = nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.bool)
    full = ours(x, is_causal=True)
    assert (full - theirs(x, src_mask=causal, is_causal=True)).abs().max() < 1e-10
    cache = KVCache()
    steps = torch.cat([ours(x[:, :4], is_causal=True, kv_cache=cache)]
                      + [ours(x[:, t:t + 1], is_causal=True, kv_cache=cache) for t in (4, 5)], 1)
    assert (steps - full).abs().max() < 1e-12
