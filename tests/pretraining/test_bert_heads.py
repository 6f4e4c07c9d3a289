"""Tests for mllab.pretraining.bert_heads: the masked-LM and next-sentence heads equal
``BertForPreTraining``'s, the span head equals ``BertForQuestionAnswering``'s (weights copied,
float64), the masked-LM output layer is the token embedding, and the downstream heads' shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from mllab.pretraining.bert import Bert, BertConfig
from mllab.pretraining.bert_heads import (
    MaskedLMHead,
    NextSentenceHead,
    SequenceClassifierHead,
    SpanHead,
    TokenClassifierHead,
)

transformers = pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).parent))
from hf_weights import copy_bert, copy_mlm_head  # noqa: E402

HF = {"vocab_size": 21, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
      "intermediate_size": 16, "max_position_embeddings": 10, "layer_norm_eps": 1e-5,
      "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
      "attn_implementation": "eager"}


def _bert(seed=0) -> Bert:
    torch.manual_seed(seed)
    return Bert(BertConfig(vocab=21, d_model=8, num_heads=2, d_ff=16, num_layers=1,
                           max_len=10)).double().eval()


@torch.no_grad()
def _perturb(*modules):
    for m in modules:
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))  # biases and LayerNorms away from 0 and 1


def test_pretraining_heads_equal_bert_for_pretraining():
    bert = _bert()
    mlm, nsp = MaskedLMHead(bert).double(), NextSentenceHead(bert).double()
    _perturb(mlm, nsp)
    theirs = transformers.BertForPreTraining(transformers.BertConfig(**HF)).double().eval()
    copy_bert(bert, theirs.bert)
    copy_mlm_head(mlm, theirs.cls.predictions)
    with torch.no_grad():
        theirs.cls.seq_relationship.load_state_dict(nsp.state_dict())
    tokens = torch.randint(0, 21, (2, 9))
    segments = (torch.arange(9) >= 5).long().expand(2, 9)
    out = theirs(input_ids=tokens, token_type_ids=segments)
    h = bert(tokens, segments)
    assert (mlm(h) - out.prediction_logits).abs().max() < 1e-12
    assert (nsp(bert.pool(h)) - out.seq_relationship_logits).abs().max() < 1e-12


def test_the_masked_lm_output_layer_is_the_token_embedding():
    bert = _bert()
    mlm = MaskedLMHead(bert).double()
    assert mlm.embedding.weight is bert.token_embedding.weight
    with torch.no_grad():
        bert.token_embedding.weight[5].zero_()
    h = torch.randn(1, 3, 8, dtype=torch.float64)
    assert torch.equal(mlm(h)[..., 5], mlm.bias[5].expand(1, 3))


def test_span_head_equals_bert_for_question_answering():
    bert = _bert(1)
    span = SpanHead(bert).double()
    theirs = transformers.BertForQuestionAnswering(transformers.BertConfig(**HF)).double().eval()
    copy_bert(bert, theirs.bert)
    with torch.no_grad():
        theirs.qa_outputs.load_state_dict(span.linear.state_dict())
    tokens = torch.randint(0, 21, (3, 7))
    out = theirs(input_ids=tokens)
    start, end = span(bert(tokens))
    assert (start - out.start_logits).abs().max() < 1e-12
    assert (end - out.end_logits).abs().max() < 1e-12


def test_downstream_heads_shapes():
    bert = _bert()
    h = bert(torch.randint(0, 21, (4, 6)))
    assert SequenceClassifierHead(bert, 3).double()(bert.pool(h)).shape == (4, 3)
    assert TokenClassifierHead(bert, 5).double()(h).shape == (4, 6, 5)
