"""Tests for mllab.pretraining.bert: equal to Hugging Face's ``BertModel`` with the weights
copied (values and gradients, float64, with padding and two segments), and the refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.bert import Bert, BertConfig

transformers = pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).parent))
from hf_weights import copy_bert  # noqa: E402

f64 = torch.float64


def _pair(seed: int = 0, layers: int = 2):
    torch.manual_seed(seed)
    ours = Bert(BertConfig(vocab=23, d_model=16, num_heads=4, d_ff=32, num_layers=layers,
                           max_len=12)).double().eval()
    theirs = transformers.BertModel(transformers.BertConfig(
        vocab_size=23, hidden_size=16, num_hidden_layers=layers, num_attention_heads=4,
        intermediate_size=32, max_position_embeddings=12, type_vocab_size=2, hidden_act="gelu",
        layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        attn_implementation="eager")).double().eval()
    copy_bert(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_transformers_bert_model_values_and_gradients(seed):
    ours, theirs = _pair(seed)
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 23, (3, 10), generator=g)
    segments = (torch.arange(10) >= 4).long().expand(3, 10)  # A = 4 tokens, B = the rest
    lengths = torch.tensor([10, 7, 3])
    attention_mask = (torch.arange(10) < lengths[:, None]).long()
    h = ours(tokens, segments, lengths)
    out = theirs(input_ids=tokens, token_type_ids=segments, attention_mask=attention_mask)
    real = attention_mask.bool()
    assert (h - out.last_hidden_state)[real].abs().max() < 1e-12
    assert (ours.pool(h) - out.pooler_output).abs().max() < 1e-12
    w = torch.randn(h.shape, dtype=f64, generator=g) * real[..., None]
    (h * w).sum().backward()
    (out.last_hidden_state * w).sum().backward()
    ours_grad = ours.blocks[0].self_attn.q_proj.weight.grad
    theirs_grad = theirs.encoder.layer[0].attention.self.query.weight.grad
    assert (ours_grad - theirs_grad).abs().max() < 1e-10
    assert (ours.segment_embedding.weight.grad
            - theirs.embeddings.token_type_embeddings.weight.grad).abs().max() < 1e-10


def test_no_segments_means_segment_a_and_no_lengths_means_no_padding():
    ours, _ = _pair()
    tokens = torch.randint(0, 23, (2, 6))
    assert torch.equal(ours(tokens), ours(tokens, torch.zeros_like(tokens),
                                          torch.tensor([6, 6])))


@pytest.mark.parametrize(("kw", "message"), [
    ({"vocab": 0}, "vocab must be an integer >= 1"),
    ({"num_heads": 3}, "num_heads must be a divisor of d_model = 64"),
    ({"dropout": 1.0}, "dropout must be a float in"),
    ({"segments": 0}, "segments must be an integer >= 1"),
])
def test_refusals(kw, message):
    with pytest.raises(ConfigError, match=message):
        BertConfig(**({"vocab": 10} | kw))


def test_a_too_long_input_is_refused():
    ours, _ = _pair()
    with pytest.raises(ConfigError, match="tokens must be at most max_len = 12 positions, got 13"):
        ours(torch.zeros(1, 13, dtype=torch.long))
