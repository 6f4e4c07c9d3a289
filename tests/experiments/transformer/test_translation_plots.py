"""The figures of seq2seq-translation: attention maps read from both models are distributions
over the real source pieces, and the Transformer's equals its last block's cross-attention
recomputed by hand."""

import pytest
import torch

from mllab.experiments.transformer.translation_plots import cross_attention_map
from mllab.seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig
from mllab.text import EOS_ID, PAD_ID
from mllab.transformer import Transformer, TransformerConfig


def _data():
    src = torch.tensor([[5, 6, 7, PAD_ID], [8, 9, 5, 6]])
    tgt = torch.tensor([[10, 11, EOS_ID, PAD_ID, PAD_ID], [12, 13, 14, 15, EOS_ID]])
    return {"src": src, "src_lengths": torch.tensor([3, 4]), "tgt": tgt}


@pytest.mark.parametrize("index, T, S", [(0, 3, 3), (1, 5, 4)])
def test_maps_are_distributions_over_the_real_source(index, T, S):
    torch.manual_seed(0)
    models = [Transformer(TransformerConfig(16, 16, d_model=8, num_heads=2, d_ff=16,
                                            num_encoder_layers=1, num_decoder_layers=2)),
              RNNSeq2Seq(RNNSeq2SeqConfig(16, 16, embedding=8, hidden=8, attention="dot"))]
    for model in models:
        model.eval()
        a = cross_attention_map(model, _data(), index)
        assert a.shape == (T, S)
        assert torch.allclose(a.sum(-1), torch.ones(T), atol=1e-6) and bool((a >= 0).all())


def test_transformer_map_is_the_last_blocks_cross_attention():
    torch.manual_seed(1)
    model = Transformer(TransformerConfig(16, 16, d_model=8, num_heads=2, d_ff=16,
                                          num_encoder_layers=1, num_decoder_layers=2))
    model.eval()
    d = _data()
    src, y = d["src"][1:], d["tgt"][1:]
    tgt_in = torch.cat([torch.ones_like(y[:, :1]), y[:, :-1]], 1)
    memory = model.encode(src)
    x = model._embed(model.tgt_embedding, tgt_in)
    x = model.decoder[0](x, memory)
    last = model.decoder[1]  # post-LN: the query of the cross-attention is norm1(x + self(x))
    q = last.norm1(x + last.self_attn(x, is_causal=True))
    _, w = last.cross_attn(q, memory, need_weights=True)
    assert torch.allclose(cross_attention_map(model, d, 1), w[0].mean(0), atol=1e-6)


def test_other_models_refused():
    with pytest.raises(TypeError, match="Transformer or an RNNSeq2Seq"):
        cross_attention_map(torch.nn.Linear(2, 2), _data())
