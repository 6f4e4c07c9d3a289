"""Copying mllab's BERT and GPT weights into Hugging Face ``transformers`` models built offline
from a config, for the parity tests and the benchmarks (``benchmarks/bert_mlm.py``,
``benchmarks/gpt_generate.py`` import this file by path); ``transformers`` is a test and
benchmark dependency only."""

import torch
from torch import Tensor, nn

from mllab.transformer.encoder_block import EncoderBlock


def _linear(ours: nn.Linear, theirs: nn.Module, *, conv1d: bool = False) -> None:
    r"""GPT-2's ``Conv1D`` stores :math:`W^\top` (in, out)."""
    theirs.weight.copy_(ours.weight.T if conv1d else ours.weight)
    theirs.bias.copy_(ours.bias)


def _module_pairs(ours: nn.Module, theirs: nn.Module, name: str) -> list:
    return [(f"{name}.{n}", p, getattr(theirs, n)) for n, p in ours.named_parameters()]


def bert_pairs(ours, theirs) -> list[tuple[str, Tensor, Tensor]]:
    """``(name, mllab parameter, transformers parameter)`` for every weight of ``theirs``, a
    ``transformers.BertModel`` (its pooler only where it has one); ``ours``: a
    ``mllab.pretraining.Bert``. The two layouts are the same, weight for weight."""
    e = theirs.embeddings
    pairs = [("token_embedding", ours.token_embedding.weight, e.word_embeddings.weight),
             ("position_embedding", ours.position_embedding.weight,
              e.position_embeddings.weight),
             ("segment_embedding", ours.segment_embedding.weight,
              e.token_type_embeddings.weight),
             *_module_pairs(ours.embedding_norm, e.LayerNorm, "embedding_norm")]
    for i, (block, layer) in enumerate(zip(ours.blocks, theirs.encoder.layer, strict=True)):
        a, name = block.self_attn, f"blocks.{i}"
        for mine, hf in ((a.q_proj, layer.attention.self.query),
                         (a.k_proj, layer.attention.self.key),
                         (a.v_proj, layer.attention.self.value),
                         (a.out_proj, layer.attention.output.dense),
                         (block.norm1, layer.attention.output.LayerNorm),
                         (block.ffn[0], layer.intermediate.dense),
                         (block.ffn[3], layer.output.dense),
                         (block.norm2, layer.output.LayerNorm)):
            pairs += _module_pairs(mine, hf, name)
    if theirs.pooler is not None:  # the QA and masked-LM models have none
        pairs += _module_pairs(ours.pooler, theirs.pooler.dense, "pooler")
    return pairs


def mlm_head_pairs(head, predictions) -> list[tuple[str, Tensor, Tensor]]:
    """The same for a ``mllab.pretraining.MaskedLMHead`` and ``transformers``'
    ``cls.predictions`` (dense, LayerNorm and the output bias; the output weight is each side's
    token embedding, paired by :func:`bert_pairs`)."""
    t = predictions.transform
    return [*_module_pairs(head.transform[0], t.dense, "mlm.dense"),
            *_module_pairs(head.transform[2], t.LayerNorm, "mlm.norm"),
            ("mlm.bias", head.bias, predictions.bias)]


@torch.no_grad()
def copy_bert(ours, theirs) -> None:
    """``ours``: mllab.pretraining.Bert; ``theirs``: transformers.BertModel."""
    for _, mine, hf in bert_pairs(ours, theirs):
        hf.copy_(mine)


@torch.no_grad()
def copy_mlm_head(head, predictions) -> None:
    """``head``: mllab.pretraining.MaskedLMHead; ``predictions``: ``cls.predictions`` of
    ``BertForMaskedLM`` or ``BertForPreTraining``."""
    for _, mine, hf in mlm_head_pairs(head, predictions):
        hf.copy_(mine)


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


@torch.no_grad()
def copy_gpt(ours, theirs) -> None:
    """``ours``: mllab.pretraining.GPT; ``theirs``: transformers.GPT2LMHeadModel (its
    ``lm_head`` tied to ``wte``)."""
    t = theirs.transformer
    t.wte.weight.copy_(ours.token_embedding.weight)
    t.wpe.weight.copy_(ours.position_embedding.weight)
    for block, h in zip(ours.blocks, t.h, strict=True):
        copy_gpt_block(block, h)
    t.ln_f.load_state_dict(ours.final_norm.state_dict())
