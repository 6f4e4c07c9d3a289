r"""One recipe for pre-training BERT on the Bible's training chapters, shared by the
experiments that fine-tune it, and the held-out masked-LM accuracy that says how far it got.

The recipe (Devlin et al., arXiv:1810.04805, §3.1 at a CPU's scale): the training chapters'
consecutive verses become next-sentence pairs (:func:`mllab.pretraining.sentence_pairs`),
and :class:`BertPretraining` is trained on :math:`\mathcal{L}_{MLM} + \mathcal{L}_{NSP}` with
Adam at a constant learning rate, ``steps`` updates of ``batch_size`` pairs
(:func:`mllab.pretraining.pretraining_step`, on the general loop). :func:`pretraining_parts`
builds everything a ``trial.run`` (or :func:`mllab.train.run_loop`) needs; build it inside the
trial, whose seeding of the global generator decides the initial weights.

:func:`masked_lm_accuracy`: held-out pairs with 15% of their text tokens chosen and *every*
chosen token replaced by ``[MASK]``; the share of blanks whose argmax over the non-special
tokens is the original token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from mllab.config import require, require_int
from mllab.pretraining.bert import BertConfig
from mllab.pretraining.bert_pretraining import (
    BertPretraining,
    BertPretrainingState,
    pretraining_step,
)
from mllab.pretraining.next_sentence import sentence_pairs
from mllab.pretraining.pretraining_batches import (
    CLS_ID,
    SEP_ID,
    bert_vocab,
    mask_id,
    pretraining_batch,
)
from mllab.text.special_tokens import PAD_ID
from mllab.train.loop import LoopConfig, Step

__all__ = ["PretrainRecipe", "masked_lm_accuracy", "pretraining_parts"]


@dataclass
class PretrainRecipe:
    r"""Sizes and budget of the pre-training."""

    d_model: int = 64
    r"""BERT's width :math:`d`."""
    num_heads: int = 4
    r"""Attention heads (a divisor of ``d_model``)."""
    d_ff: int = 256
    r"""Feed-forward hidden size (BERT: :math:`4d`)."""
    num_layers: int = 2
    r"""Encoder blocks."""
    max_len: int = 64
    r"""Longest input, ``[CLS]`` and ``[SEP]`` included (>= 5)."""
    steps: int = 300
    r"""Updates (>= 0; 0 leaves the initial weights)."""
    batch_size: int = 32
    r"""Pairs per update (>= 1)."""
    lr: float = 2e-3
    r"""Adam's constant learning rate (> 0)."""

    def __post_init__(self) -> None:
        for name in ("d_model", "num_heads", "d_ff", "num_layers", "batch_size"):
            require_int(name, getattr(self, name), 1)
        require_int("max_len", self.max_len, 5)
        require_int("steps", self.steps, 0)
        require(self.lr > 0, "lr", "> 0", self.lr)

    def config(self, text_vocab: int) -> BertConfig:
        r"""The :class:`BertConfig` for a tokenizer of ``text_vocab`` ids (``[MASK]`` added)."""
        return BertConfig(vocab=bert_vocab(text_vocab), d_model=self.d_model,
                          num_heads=self.num_heads, d_ff=self.d_ff,
                          num_layers=self.num_layers, max_len=self.max_len)


def pretraining_parts(recipe: PretrainRecipe, train_ids: Sequence[Sequence[int]],
                      text_vocab: int, *, pairs_generator: torch.Generator,
                      batches_generator: torch.Generator
                      ) -> tuple[BertPretraining, BertPretrainingState, Step, LoopConfig]:
    r"""``(model, state, step, loop config)`` for pre-training on the consecutive verses
    ``train_ids`` (token ids, no special tokens)."""
    model = BertPretraining(recipe.config(text_vocab))
    state = BertPretrainingState(
        model=model, optimizer=torch.optim.Adam(model.parameters(), lr=recipe.lr),
        generator=batches_generator, pairs=sentence_pairs(list(train_ids), pairs_generator))
    return (model, state, pretraining_step(recipe.batch_size, recipe.max_len, text_vocab),
            LoopConfig(steps=recipe.steps))


@torch.no_grad()
def masked_lm_accuracy(model: BertPretraining, test_ids: Sequence[Sequence[int]],
                       text_vocab: int, max_len: int, generator: torch.Generator) -> float:
    r"""Blank accuracy on pairs of the consecutive held-out verses ``test_ids`` (module
    docstring); every draw (pairs, blanks) from ``generator``."""
    pairs = sentence_pairs(list(test_ids), generator)
    special = [PAD_ID, CLS_ID, SEP_ID, mask_id(text_vocab)]
    model.eval()
    hits = total = 0
    for i in range(0, len(pairs), 256):
        b = pretraining_batch(pairs[i:i + 256], max_len=max_len, text_vocab=text_vocab,
                              generator=generator, p_mask=1.0, p_random=0.0)
        logits, _ = model(b.tokens, b.segments, b.lengths, b.chosen)  # (M, V)
        logits[:, special] = -torch.inf  # guesses among text tokens
        hits += int((logits.argmax(-1) == b.mlm_labels[b.chosen]).sum())
        total += int(b.chosen.sum())
    return hits / max(total, 1)
