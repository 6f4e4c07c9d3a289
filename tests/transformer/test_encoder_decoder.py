"""Tests for mllab.transformer.encoder_decoder: the configuration, shapes, cached incremental
decoding equal to full recomputation, loss at init near ln V, and learning a copy task."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mllab.config import ConfigError
from mllab.transformer.encoder_decoder import Transformer, TransformerConfig

f64 = torch.float64


def _model(seed: int = 0, **kw) -> Transformer:
    torch.manual_seed(seed)
    settings = {"src_vocab": 11, "tgt_vocab": 13, "d_model": 16, "num_heads": 2, "d_ff": 32,
                "max_len": 20} | kw
    return Transformer(TransformerConfig(**settings))


@pytest.mark.parametrize("positional", ["sinusoidal", "learned", "none"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_shapes(positional, norm_first):
    model = _model(positional=positional, norm_first=norm_first)
    src, tgt = torch.randint(0, 11, (3, 7)), torch.randint(0, 13, (3, 5))
    memory = model.encode(src, torch.tensor([7, 3, 1]))
    assert memory.shape == (3, 7, 16)
    assert model.decode(tgt, memory, torch.tensor([7, 3, 1])).shape == (3, 5, 13)
    assert model(src, tgt).shape == (3, 5, 13)
    cache = model.new_cache()
    assert model.decode_step(tgt[:, 0], memory, cache, 0).shape == (3, 13)
    assert len(cache) == 2 and cache[0].self_attn.length == 1


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_cached_incremental_decoding_equals_full_recomputation(norm_first, positional):
    model = _model(norm_first=norm_first, positional=positional).double().eval()
    src, tgt = torch.randint(0, 11, (2, 6)), torch.randint(0, 13, (2, 8))
    lengths = torch.tensor([6, 4])
    memory = model.encode(src, lengths)
    full = model.decode(tgt, memory, lengths)  # (B, T, V)
    cache = model.new_cache()
    steps = torch.stack([model.decode_step(tgt[:, t], memory, cache, t, lengths)
                         for t in range(8)], dim=1)
    assert (steps - full).abs().max() < 1e-10


def test_decode_step_refuses_a_position_that_is_not_the_cached_length():
    model = _model()
    memory = model.encode(torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ConfigError, match=r"position must be the number of cached steps \(0\)"):
        model.decode_step(torch.zeros(1, dtype=torch.long), memory, model.new_cache(), 2)


def test_padding_of_the_source_does_not_change_the_logits():
    model = _model().double()
    src = torch.randint(0, 11, (1, 4))
    padded = torch.cat([src, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    tgt = torch.randint(0, 13, (1, 5))
    a = model(src, tgt)
    b = model(padded, tgt, torch.tensor([4]))
    assert (a - b).abs().max() < 1e-12


def test_loss_at_init_is_near_ln_v():
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(src_vocab=50, tgt_vocab=50, d_model=32, num_heads=4,
                                          d_ff=64))
    with torch.no_grad():
        model.output.weight.mul_(0.1)  # logits near 0: the loss measures the uniform guess
    src, tgt = torch.randint(0, 50, (16, 10)), torch.randint(0, 50, (16, 10))
    loss = F.cross_entropy(model(src, tgt).flatten(0, 1), tgt.flatten())
    assert abs(loss.item() - math.log(50)) < 0.1


def test_overfits_one_batch_of_a_copy_task():
    torch.manual_seed(0)
    V, BOS = 10, 0  # tokens 1..9 to copy, 0 is BEGIN
    # Pre-LN: it needs no warm-up (arXiv:2002.04745), so a constant rate converges in 200 steps.
    model = Transformer(TransformerConfig(src_vocab=V, tgt_vocab=V, d_model=32, num_heads=4,
                                          d_ff=64, num_encoder_layers=1, num_decoder_layers=1,
                                          max_len=16, norm_first=True))
    src = torch.randint(1, V, (16, 6), generator=torch.Generator().manual_seed(1))
    tgt_in = torch.cat([torch.full((16, 1), BOS), src[:, :-1]], dim=1)  # teacher forcing
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        loss = F.cross_entropy(model(src, tgt_in).flatten(0, 1), src.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.02
    model.eval()
    with torch.no_grad():  # greedy decoding with the cache reproduces every source
        memory, cache = model.encode(src), model.new_cache()
        token, out = torch.full((16,), BOS), []
        for t in range(6):
            token = model.decode_step(token, memory, cache, t).argmax(-1)
            out.append(token)
    assert torch.equal(torch.stack(out, dim=1), src)


def test_config_refuses_bad_fields():
    with pytest.raises(ConfigError, match="tgt_vocab must be an integer >= 1"):
        TransformerConfig(src_vocab=3, tgt_vocab=0)
    with pytest.raises(ConfigError, match="num_heads must be a divisor of d_model = 10"):
        TransformerConfig(src_vocab=3, tgt_vocab=3, d_model=10, num_heads=4)
    with pytest.raises(ConfigError, match="positional must be one of"):
        TransformerConfig(src_vocab=3, tgt_vocab=3, positional="rope")
    with pytest.raises(ConfigError, match="dropout must be a float in"):
        TransformerConfig(src_vocab=3, tgt_vocab=3, dropout=1.5)
    with pytest.raises(ConfigError, match="norm_first must be a bool"):
        TransformerConfig(src_vocab=3, tgt_vocab=3, norm_first=1)


@pytest.mark.parametrize("beam_width", [1, 3])
def test_step_function_decodes_as_full_recomputation_does(beam_width):
    from mllab.decoding import beam_search

    model = _model(seed=3).double().eval()
    src, lengths = torch.randint(0, 11, (3, 6)), torch.tensor([6, 4, 2])

    def recompute(tokens, state):  # a plain function of the prefix, no cache
        return model.decode(tokens, model.encode(src_rows, lengths_rows), lengths_rows)[:, -1], None

    src_rows, lengths_rows = src.repeat_interleave(beam_width, 0), lengths.repeat_interleave(
        beam_width, 0)  # (B*K, S): beam search's rows, item b's hypotheses together
    with torch.no_grad():
        step_fn, state = model.step_function(src, lengths)
        cached = beam_search(step_fn, 1, 2, 7, 3, beam_width=beam_width, init_state=state)
        full = beam_search(recompute, 1, 2, 7, 3, beam_width=beam_width)
    assert torch.equal(cached.tokens, full.tokens)
    assert torch.allclose(cached.score, full.score, atol=1e-10)


def test_step_function_consumes_a_whole_prompt_at_the_first_call():
    model = _model(seed=4).double().eval()
    src, prompt = torch.randint(0, 11, (2, 5)), torch.randint(0, 13, (2, 4))
    with torch.no_grad():
        step_fn, state = model.step_function(src)
        logits, state = step_fn(prompt, state)
        full = model(src, prompt)[:, -1]
    assert state["cache"][0].self_attn.length == 4
    assert (logits - full).abs().max() < 1e-10
