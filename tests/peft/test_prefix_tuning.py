"""Tests for mllab.peft.prefix_tuning: attention over [P_K; K], [P_V; V] equals
``F.scaled_dot_product_attention`` on the concatenation (float64, with padding and causal masks),
only the prefixes train, and the refusals."""

import pytest
import torch
import torch.nn.functional as F

from mllab.attention import MultiHeadAttention, padding_mask
from mllab.config import ConfigError
from mllab.peft.prefix_tuning import PrefixAttention, insert_prefixes
from mllab.pretraining import GPT, Bert, BertConfig, GPTConfig

f64 = torch.float64


def _reference(mha, prefix, x, key_mask, causal):
    B, T, _ = x.shape
    P = prefix.prefix_k.shape[1]
    q = mha.split_heads(mha.q_proj(x))
    k, v = mha.project_kv(x, x)
    k = torch.cat([prefix.prefix_k.expand(B, -1, -1, -1), k], dim=2)  # (B, nh, P + T, hs)
    v = torch.cat([prefix.prefix_v.expand(B, -1, -1, -1), v], dim=2)
    allowed = torch.ones(B, 1, T, P + T, dtype=torch.bool)
    if key_mask is not None:
        allowed[..., P:] &= key_mask
    if causal:
        allowed[..., P:] &= torch.ones(T, T, dtype=torch.bool).tril()
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)  # (B, nh, T, hs)
    return mha.out_proj(y.transpose(1, 2).reshape(B, T, -1))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_attention_over_the_prefix_equals_sdpa_on_the_concatenation(causal, padded):
    torch.manual_seed(0)
    mha = MultiHeadAttention(12, 3).double()
    prefix = PrefixAttention(mha, 4, torch.Generator().manual_seed(1))
    x = torch.randn(2, 5, 12, dtype=f64)
    mask = padding_mask(torch.tensor([5, 3]), 5) if padded else None
    out = prefix(x, mask=mask, is_causal=causal)
    expected = _reference(mha, prefix, x, mask, causal)
    real = torch.tensor([[1] * 5, [1, 1, 1, 0, 0]], dtype=torch.bool) if padded else slice(None)
    assert (out - expected)[real].abs().max() < 1e-12


@pytest.mark.parametrize("make", [
    lambda: Bert(BertConfig(vocab=11, d_model=8, num_heads=2, d_ff=16, num_layers=2)),
    lambda: GPT(GPTConfig(vocab=11, d_model=8, num_heads=2, d_ff=16, num_layers=2)),
])
def test_only_the_prefixes_train_and_they_change_the_output(make):
    torch.manual_seed(0)
    model = make().double()
    x = torch.randint(0, 11, (2, 6))
    before = model(x)
    names = insert_prefixes(model, 3, torch.Generator().manual_seed(0))
    assert sorted(names) == sorted(f"blocks.{i}.self_attn.prefix_{w}" for i in range(2)
                                   for w in "kv")
    out = model(x)
    assert not torch.allclose(out, before)  # a prefix acts from the start
    out.pow(2).mean().backward()
    assert {n for n, p in model.named_parameters() if p.grad is not None} == set(names)


def test_refusals():
    mha = MultiHeadAttention(4, 2)
    with pytest.raises(ConfigError, match="length must be an integer >= 1"):
        PrefixAttention(mha, 0)
    with pytest.raises(ConfigError, match="kv_cache must be None"):
        from mllab.attention import KVCache
        PrefixAttention(mha, 2)(torch.randn(1, 3, 4), kv_cache=KVCache())
    with pytest.raises(ConfigError, match="model must be a model with self_attn"):
        insert_prefixes(torch.nn.Linear(2, 2), 2)
