"""Tests for mllab.pretraining.gpt: equal to Hugging Face's ``GPT2LMHeadModel`` with the weights
copied (values and gradients, float64), causal, cached generation equal to recomputation and to
``transformers``' ``generate``, tied weights, and the refusals."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding import beam_search, greedy_decode
from mllab.pretraining.gpt import GPT, GPTConfig

transformers = pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).parent))
from hf_weights import copy_gpt  # noqa: E402

f64 = torch.float64


def _pair(seed: int = 0):
    torch.manual_seed(seed)
    ours = GPT(GPTConfig(vocab=19, d_model=16, num_heads=4, d_ff=64, num_layers=2,
                         max_len=24)).double().eval()
    theirs = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=19, n_embd=16, n_head=4, n_inner=64, n_layer=2, n_positions=24,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=1,
        pad_token_id=1, attn_implementation="eager")).double().eval()
    copy_gpt(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("seed", [0, 1])
def test_equals_transformers_gpt2_values_and_gradients(seed):
    ours, theirs = _pair(seed)
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 19, (3, 11), generator=g)
    logits, expected = ours(tokens), theirs(input_ids=tokens).logits
    assert (logits - expected).abs().max() < 1e-12
    w = torch.randn(logits.shape, dtype=f64, generator=g)
    (logits * w).sum().backward()
    (expected * w).sum().backward()
    pairs = [(ours.token_embedding.weight.grad, theirs.transformer.wte.weight.grad),
             (ours.blocks[1].ffn[0].weight.grad, theirs.transformer.h[1].mlp.c_fc.weight.grad.T),
             (ours.blocks[0].self_attn.q_proj.bias.grad,
              theirs.transformer.h[0].attn.c_attn.bias.grad[:16])]
    for mine, hf in pairs:
        assert (mine - hf).abs().max() < 1e-10


def test_the_output_layer_is_the_token_embedding():
    ours, _ = _pair()
    names = [n for n, _ in ours.named_parameters()]
    assert not any("output" in n or "lm_head" in n for n in names)
    tokens = torch.randint(0, 19, (1, 5))
    expected = ours.hidden(tokens) @ ours.token_embedding.weight.T
    assert torch.equal(ours(tokens), expected)


def test_the_loss_at_initialisation_is_near_ln_V():
    torch.manual_seed(0)
    V = 500
    model = GPT(GPTConfig(vocab=V, d_model=64, num_heads=4, d_ff=256, num_layers=2, max_len=32))
    tokens = torch.randint(0, V, (8, 32), generator=torch.Generator().manual_seed(1))
    logits = model(tokens[:, :-1])  # (B, T-1, V)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), tokens[:, 1:].reshape(-1))
    assert abs(loss.item() - math.log(V)) < 0.1  # N(0, 1) embeddings start near 20 nats


def test_the_future_never_changes_the_past():
    ours, _ = _pair()
    tokens = torch.randint(0, 19, (2, 10))
    changed = tokens.clone()
    changed[:, 6:] = (changed[:, 6:] + 3) % 19
    assert (ours(tokens)[:, :6] - ours(changed)[:, :6]).abs().max() < 1e-12
    assert (ours(tokens)[:, 6:] - ours(changed)[:, 6:]).abs().max() > 1e-6


def test_cached_steps_equal_recomputation():
    ours, _ = _pair()
    tokens = torch.randint(0, 19, (2, 9))
    cache = ours.new_cache()
    prompt = ours(tokens[:, :4], cache)  # the prompt in one pass
    steps = [ours(tokens[:, t:t + 1], cache) for t in range(4, 9)]
    assert ((torch.cat([prompt, *steps], 1) - ours(tokens)).abs().max()) < 1e-12


def test_greedy_generation_equals_transformers_generate():
    ours, theirs = _pair(seed=2)
    prompt = torch.tensor([[0, 5, 7], [0, 2, 2]])
    step_fn, state = ours.step_function()
    with torch.no_grad():
        mine = greedy_decode(step_fn, prompt, eos=1, max_len=8, init_state=state)
        hf = theirs.generate(prompt, max_new_tokens=8, do_sample=False,
                             attention_mask=torch.ones_like(prompt))
    generated = hf[:, 3:]
    for row in range(2):
        n = int(mine.lengths[row])
        assert torch.equal(mine.tokens[row, :n], generated[row, :n])


def test_beam_search_with_the_cache_equals_beam_search_by_recomputation():
    ours, _ = _pair(seed=3)
    prompt = torch.tensor([[0, 4], [0, 9]])

    def recompute(tokens, state):
        return ours(tokens)[:, -1], None

    with torch.no_grad():
        step_fn, state = ours.step_function()
        cached = beam_search(step_fn, prompt, eos=1, max_len=6, beam_width=3, init_state=state)
        full = beam_search(recompute, prompt, eos=1, max_len=6, beam_width=3)
    assert torch.equal(cached.tokens, full.tokens)
    assert torch.allclose(cached.score, full.score, atol=1e-10)


@pytest.mark.parametrize(("kw", "message"), [
    ({"vocab": 0}, "vocab must be an integer >= 1"),
    ({"num_heads": 5}, "num_heads must be a divisor of d_model = 64"),
    ({"max_len": 0}, "max_len must be an integer >= 1"),
])
def test_refusals(kw, message):
    with pytest.raises(ConfigError, match=message):
        GPTConfig(**({"vocab": 10} | kw))


def test_a_context_longer_than_max_len_is_refused():
    ours, _ = _pair()
    with pytest.raises(ConfigError, match="tokens must be at most max_len = 24 positions, got 25"):
        ours(torch.zeros(1, 25, dtype=torch.long))
