"""Tests for mllab.transformer.non_autoregressive: equal to a NAT assembled from PyTorch's
encoder and decoder layers (weights copied, no causal mask, float64); the decoder is not causal
and every position comes from one call; the uniform-copy index by hand; padding of the source
hidden; the token and length losses by hand; configuration refusals; a copy task learned."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.transformer.non_autoregressive import (
    NATConfig,
    NonAutoregressiveTransformer,
    length_loss,
    nat_loss,
    token_loss,
    uniform_copy_index,
)

sys.path.insert(0, str(Path(__file__).parent))
from torch_weights import copy_attention  # noqa: E402

f64 = torch.float64


def _model(seed: int = 0, **kw) -> NonAutoregressiveTransformer:
    torch.manual_seed(seed)
    settings = {"src_vocab": 11, "tgt_vocab": 13, "d_model": 16, "num_heads": 2, "d_ff": 32,
                "max_len": 12} | kw
    return NonAutoregressiveTransformer(NATConfig(**settings)).eval()


def test_uniform_copy_index_by_hand():
    # S = 3, T = 5: floor(t * 3 / 5) = 0, 0, 1, 1, 2; S = 5, T = 2: 0, 2, then padding -> 0;
    # S = 4, T = 4: the identity.
    index = uniform_copy_index(torch.tensor([3, 5, 4]), torch.tensor([5, 2, 4]), 5)
    assert index.tolist() == [[0, 0, 1, 1, 2], [0, 2, 0, 0, 0], [0, 1, 2, 3, 0]]


def test_uniform_copy_index_stays_inside_the_source():
    S = torch.arange(1, 13).repeat_interleave(12)
    T = torch.arange(1, 13).repeat(12)
    index = uniform_copy_index(S, T, 12)
    real = torch.arange(12)[None, :] < T[:, None]
    assert (index >= 0).all() and (index < S[:, None]).all()
    assert (index[:, 0] == 0).all() and bool((index.diff(dim=1)[real[:, 1:]] >= 0).all())


def _torch_nat(ours: NonAutoregressiveTransformer):
    r"""PyTorch encoder and decoder layers with our weights."""
    c = ours.config
    layers = []
    for kind, blocks in (("enc", ours.encoder), ("dec", ours.decoder)):
        for block in blocks:
            make = nn.TransformerEncoderLayer if kind == "enc" else nn.TransformerDecoderLayer
            theirs = make(c.d_model, c.num_heads, c.d_ff, dropout=0.0, batch_first=True,
                          norm_first=c.norm_first).double().eval()
            copy_attention(block.self_attn, theirs.self_attn)
            if kind == "dec":
                copy_attention(block.cross_attn, theirs.multihead_attn)
            theirs.linear1.load_state_dict(block.ffn[0].state_dict())
            theirs.linear2.load_state_dict(block.ffn[3].state_dict())
            for i in (1, 2, 3) if kind == "dec" else (1, 2):
                getattr(theirs, f"norm{i}").load_state_dict(
                    getattr(block, f"norm{i}").state_dict())
            layers.append((kind, theirs))
    return layers


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("decoder_input", ["copy", "position"])
def test_equals_a_nat_built_from_torch_layers(norm_first, decoder_input):
    ours = _model(norm_first=norm_first, decoder_input=decoder_input).double()
    with torch.no_grad():
        for p in ours.parameters():
            p.add_(0.1 * torch.randn_like(p))
    layers = _torch_nat(ours)
    g = torch.Generator().manual_seed(3)
    src = torch.randint(0, 11, (3, 6), generator=g)
    S, T_y = torch.tensor([6, 2, 4]), torch.tensor([5, 7, 1])
    logits, length_logits = ours(src, T_y, S)
    # The reference: explicit loops for the copy and the pooling, torch's layers for the rest.
    pe = ours.positional.pe.to(f64)
    e = ours.src_embedding.weight[src] * math.sqrt(16)  # (B, S, d)
    x = e + pe[:6]
    src_pad = torch.arange(6)[None, :] >= S[:, None]  # True = padding (torch's convention)
    tgt_pad = torch.arange(7)[None, :] >= T_y[:, None]
    for kind, layer in layers:
        if kind == "enc":
            x = layer(x, src_key_padding_mask=src_pad)
    memory = nn.functional.layer_norm(x, (16,), ours.encoder_norm.weight,
                                      ours.encoder_norm.bias) if norm_first else x
    z = torch.zeros(3, 7, 16, dtype=f64)
    for b in range(3):
        for t in range(int(T_y[b])):
            if decoder_input == "copy":
                z[b, t] = e[b, (t * int(S[b])) // int(T_y[b])]
    z = z + pe[:7]
    y = z
    for kind, layer in layers:
        if kind == "dec":
            y = layer(y, memory, tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
    if norm_first:
        y = ours.decoder_norm(y)
    expected = ours.output(y)
    real = ~tgt_pad
    assert (logits - expected)[real].abs().max() < 1e-10
    m_bar = torch.stack([memory[b, : int(S[b])].mean(0) for b in range(3)])
    assert (length_logits - ours.length_predictor(m_bar)).abs().max() < 1e-10


def test_the_decoder_is_not_causal_and_computes_every_position_in_one_call():
    model = _model().double()
    src = torch.randint(0, 11, (2, 5))
    lengths = torch.tensor([6, 6])
    memory = model.encode(src)
    z = model.decoder_inputs(src, lengths, 6)
    calls = []
    hooks = [b.register_forward_hook(lambda *a: calls.append(1)) for b in model.decoder]
    out = model.decode(z, memory, lengths)
    assert len(calls) == len(model.decoder)  # each block once: all 6 positions in one pass
    for h in hooks:
        h.remove()
    z2 = z.clone()
    z2[:, -1] += 1.0  # change the LAST decoder input only
    out2 = model.decode(z2, memory, lengths)
    assert (out2[:, 0] - out[:, 0]).abs().max() > 1e-6  # ... and the FIRST output changes


def test_positions_after_the_target_length_are_hidden():
    model = _model().double()
    src = torch.randint(0, 11, (1, 5))
    memory = model.encode(src)
    z = torch.randn(1, 6, 16, dtype=f64)
    short = model.decode(z[:, :4], memory, torch.tensor([4]))
    z[:, 4:] = 100.0 * torch.randn(1, 2, 16, dtype=f64)
    padded = model.decode(z, memory, torch.tensor([4]))
    assert (padded[:, :4] - short).abs().max() < 1e-10


@pytest.mark.parametrize("decoder_input", ["copy", "position"])
def test_padding_of_the_source_is_hidden(decoder_input):
    model = _model(decoder_input=decoder_input).double()
    src = torch.randint(1, 11, (2, 4))
    padded = torch.cat([src, torch.randint(1, 11, (2, 3))], 1)  # (2, 7): 3 junk tokens
    S, T_y = torch.tensor([4, 4]), torch.tensor([5, 3])
    logits, length_logits = model(src, T_y)
    logits_p, length_logits_p = model(padded, T_y, S)
    real = torch.arange(5)[None, :] < T_y[:, None]
    assert (logits - logits_p)[real].abs().max() < 1e-10
    assert (length_logits - length_logits_p).abs().max() < 1e-10


def test_token_and_length_losses_by_hand():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 4, generator=g, dtype=f64)
    tgt = torch.tensor([[1, 0, 3], [2, 2, 1]])
    T_y = torch.tensor([3, 1])
    logp = logits.log_softmax(-1)
    expected_tok = -(logp[0, 0, 1] + logp[0, 1, 0] + logp[0, 2, 3] + logp[1, 0, 2]) / 4
    assert abs(token_loss(logits, tgt, T_y) - expected_tok) < 1e-12
    length_logits = torch.randn(2, 5, generator=g, dtype=f64)
    lp = length_logits.log_softmax(-1)
    expected_len = -(lp[0, 2] + lp[1, 0]) / 2  # lengths 3 and 1 are classes 2 and 0
    assert abs(length_loss(length_logits, T_y) - expected_len) < 1e-12
    total = nat_loss(logits, tgt, T_y, length_logits, length_weight=0.5)
    assert abs(total - (expected_tok + 0.5 * expected_len)) < 1e-12


def test_loss_at_init_is_near_ln_v_plus_ln_l():
    torch.manual_seed(0)
    model = _model(tgt_vocab=50, max_len=20)
    with torch.no_grad():
        model.output.weight.mul_(0.01)
        model.length_predictor.weight.mul_(0.01)
    src = torch.randint(0, 11, (16, 8))
    T_y = torch.randint(1, 21, (16,))
    logits, length_logits = model(src, T_y)
    loss = nat_loss(logits, torch.randint(0, 50, (16, 20)), T_y, length_logits)
    assert abs(loss.item() - (math.log(50) + math.log(20))) < 0.1


def test_config_refuses_bad_fields():
    good = {"src_vocab": 5, "tgt_vocab": 5}
    for bad in ({"src_vocab": 0}, {"max_len": 0}, {"num_heads": 3}, {"decoder_input": "prev"},
                {"positional": "rope"}, {"decoder_input": "position", "positional": "none"},
                {"num_decoder_layers": 0}, {"dropout": 1.0}, {"norm_first": 1}):
        with pytest.raises(ConfigError):
            NATConfig(**(good | bad))
    model = NonAutoregressiveTransformer(NATConfig(**good, max_len=4))
    with pytest.raises(ConfigError, match="tgt_lengths"):
        model(torch.zeros(1, 3, dtype=torch.long), torch.tensor([5]))


def test_learns_a_copy_task():
    torch.manual_seed(0)
    model = _model(src_vocab=8, tgt_vocab=8, d_model=32, d_ff=64, max_len=8).train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(1)
    token, length = [], []
    for _ in range(80):
        S = torch.randint(2, 8, (32,), generator=g)
        src = torch.randint(1, 8, (32, 7), generator=g)
        src = src.masked_fill(torch.arange(7)[None, :] >= S[:, None], 0)
        logits, length_logits = model(src, S, S)
        parts = token_loss(logits, src[:, : int(S.max())], S), length_loss(length_logits, S)
        opt.zero_grad()
        sum(parts).backward()
        opt.step()
        token.append(parts[0].item())
        length.append(parts[1].item())
    assert token[0] > math.log(7) - 0.5 and sum(token[-10:]) / 10 < 0.1 * token[0]
    assert sum(length[-10:]) / 10 < length[0] - 0.2  # the length predictor learns too
