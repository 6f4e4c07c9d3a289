"""Copying mllab's BERT and GPT weights into Hugging Face ``transformers`` models built offline
from a config, for the parity tests (``transformers`` is a test dependency only)."""

import torch
from torch import nn

from mllab.transformer.encoder_block import EncoderBlock


def _linear(ours: nn.Linear, theirs: nn.Module, *, conv1d: bool = False) -> None:
    r"""GPT-2's ``Conv1D`` stores :math:`W^\top` (in, out)."""
    theirs.weight.copy_(ours.weight.T if conv1d else ours.weight)
    theirs.bias.copy_(ours.bias)


@torch.no_grad()
def copy_bert(ours, theirs) -> None:
    """``ours``: mllab.pretraining.Bert; ``theirs``: transformers.BertModel."""
    e = theirs.embeddings
    e.word_embeddings.weight.copy_(ours.token_embedding.weight)
    e.position_embeddings.weight.copy_(ours.position_embedding.weight)
    e.token_type_embeddings.weight.copy_(ours.segment_embedding.weight)
    e.LayerNorm.load_state_dict(ours.embedding_norm.state_dict())
    for block, layer in zip(ours.blocks, theirs.encoder.layer, strict=True):
        a = block.self_attn
        _linear(a.q_proj, layer.attention.self.query)
        _linear(a.k_proj, layer.attention.self.key)
        _linear(a.v_proj, layer.attention.self.value)
        _linear(a.out_proj, layer.attention.output.dense)
        layer.attention.output.LayerNorm.load_state_dict(block.norm1.state_dict())
        _linear(block.ffn[0], layer.intermediate.dense)
        _linear(block.ffn[3], layer.output.dense)
        layer.output.LayerNorm.load_state_dict(block.norm2.state_dict())
    if theirs.pooler is not None:  # the QA model has none
        _linear(ours.pooler, theirs.pooler.dense)


@torch.no_grad()
def copy_gpt_block(block: EncoderBlock, h) -> None:
    """One pre-LN block into GPT-2's ``h[i]`` (``c_attn`` holds ``[W_q; W_k; W_v]`` by columns)."""
    a = block.self_attn
    h.attn.c_attn.weight.copy_(torch.cat([a.q_proj.weight, a.k_proj.weight,
                                          a.v_proj.weight]).T)
    h.attn.c_attn.bias.copy_(torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]))
    _linear(a.out_proj, h.attn.c_proj, conv1d=True)
    h.ln_1.load_state_dict(block.norm1.state_dict())
    h.ln_2.load_state_dict(block.norm2.state_dict())
    _linear(block.ffn[0], h.mlp.c_fc, conv1d=True)
    _linear(block.ffn[3], h.mlp.c_proj, conv1d=True)
