r"""BERT pre-training: the encoder with its masked-LM and next-sentence heads, the joint loss,
and one step of training on the general loop.

Devlin et al., arXiv:1810.04805, §3.1 and Appendix A.2: the two self-supervised tasks are
learned together, the loss their sum,

.. math::
    \mathcal{L} = \mathcal{L}_{MLM} + \mathcal{L}_{NSP}, \qquad
    \mathcal{L}_{MLM} = -\frac{1}{|M|} \sum_{(b,t) \in M} \log p_\theta(x_{b,t} \mid \tilde{x}_b),
    \qquad
    \mathcal{L}_{NSP} = -\frac{1}{B} \sum_{b} \log p_\theta(y_b \mid \tilde{x}_b),

where :math:`M` are the chosen (masked) positions of the batch, :math:`x` the original tokens,
:math:`\tilde{x}` the corrupted input and :math:`y_b` the next-sentence label of pair
:math:`b`; :math:`p_\theta` is the softmax of :class:`MaskedLMHead`'s logits at a position and
of :class:`NextSentenceHead`'s logits on the pooled ``[CLS]`` vector.

Vocabulary: BERT's :math:`V = V_{text} + 1`, the tokenizer's ids and ``[MASK]`` (id
:math:`V_{text}`); ``[CLS]`` = ``BOS_ID``, ``[SEP]`` = ``EOS_ID``, padding = ``PAD_ID``
(:mod:`mllab.pretraining.pretraining_batches`).

Training: :class:`BertPretrainingState` holds the model, its optimizer and the generator of
batches and masking; :func:`pretraining_step` is a plain ``step`` for
:func:`mllab.train.run_loop` (or ``ctx.trial(...).run`` in an experiment). Each step draws B
pairs uniformly with replacement from fixed NSP pairs and masks them afresh (dynamic masking,
as RoBERTa does; BERT fixed ten maskings per sentence up front).

Differences from the paper: Adam without warm-up or weight decay unless the caller adds a
scheduler; a batch with no chosen position (possible for tiny batches) has
:math:`\mathcal{L}_{MLM} = 0` rather than an undefined mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import is_real, require
from mllab.pretraining.bert import Bert, BertConfig
from mllab.pretraining.bert_heads import MaskedLMHead, NextSentenceHead
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.pretraining_batches import PretrainingBatch, pretraining_batch
from mllab.train.loop import LoopState, Step, transient

__all__ = ["BertPretraining", "BertPretrainingState", "PretrainingLoss", "draw_batch",
           "pretraining_loss", "pretraining_step"]


class BertPretraining(nn.Module):
    r""":class:`Bert` with a :class:`MaskedLMHead` (tied to its token embedding) and a
    :class:`NextSentenceHead`. ``config.vocab`` is :math:`V_{text} + 1` (``[MASK]`` last).

    ``init_std``: BERT's initialisation (its ``initializer_range``, 0.02): every linear and
    embedding weight drawn from :math:`\mathcal{N}(0, \sigma^2)` (by PyTorch's global
    generator, which ``ctx.trial`` seeds), biases zero, layer norms :math:`\gamma = 1,
    \beta = 0`; the logits then start near zero and :math:`\mathcal{L}_{MLM} \approx \ln V`.
    ``None`` keeps PyTorch's defaults (embeddings :math:`\mathcal{N}(0, 1)`, whose tied
    logits start large: :math:`\mathcal{L}_{MLM}` several nats above :math:`\ln V`).
    """

    def __init__(self, config: BertConfig, init_std: float | None = 0.02) -> None:
        super().__init__()
        self.bert = Bert(config)
        self.mlm = MaskedLMHead(self.bert)
        self.nsp = NextSentenceHead(self.bert)
        # the tied weight is stored once (safetensors refuses shared tensors)
        self.register_state_dict_post_hook(_drop_tied)
        self.register_load_state_dict_pre_hook(_restore_tied)
        if init_std is not None:
            require(is_real(init_std) and init_std > 0, "init_std", "a number > 0 or None",
                    init_std)
            for m in self.modules():
                if isinstance(m, nn.Linear | nn.Embedding):
                    nn.init.normal_(m.weight, 0.0, init_std)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)
                if isinstance(m, nn.LayerNorm):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def forward(self, tokens: Tensor, segments: Tensor | None = None,
                lengths: Tensor | None = None,
                chosen: Tensor | None = None) -> tuple[Tensor, Tensor]:
        r"""``(mlm_logits, nsp_logits (B, 2))`` of ``tokens`` ``(B, T)``.

        ``mlm_logits`` is ``(B, T, V)``, or with ``chosen`` (BoolTensor (B, T)) ``(M, V)``
        at the chosen positions only, in row-major order (the loss needs no more, and the
        output layer is most of a small model's cost)."""
        h = self.bert(tokens, segments, lengths)  # (B, T, d)
        h_mlm = h if chosen is None else h[chosen]  # (B, T, d) or (M, d)
        return self.mlm(h_mlm), self.nsp(self.bert.pool(h))


_TIED, _SOURCE = "mlm.embedding.weight", "bert.token_embedding.weight"


def _drop_tied(module, state_dict, prefix, local_metadata) -> None:
    state_dict.pop(prefix + _TIED, None)


def _restore_tied(module, state_dict, prefix, *args) -> None:
    if prefix + _SOURCE in state_dict:
        state_dict[prefix + _TIED] = state_dict[prefix + _SOURCE]


@dataclass(frozen=True)
class PretrainingLoss:
    r"""The joint loss and its two parts (each a 0-dim tensor)."""

    loss: Tensor
    r""":math:`\mathcal{L} = \mathcal{L}_{MLM} + \mathcal{L}_{NSP}`."""
    mlm: Tensor
    r""":math:`\mathcal{L}_{MLM}`, the mean over chosen positions."""
    nsp: Tensor
    r""":math:`\mathcal{L}_{NSP}`, the mean over pairs."""


def pretraining_loss(mlm_logits: Tensor, mlm_labels: Tensor, nsp_logits: Tensor,
                     nsp_labels: Tensor) -> PretrainingLoss:
    r""":math:`\mathcal{L} = \mathcal{L}_{MLM} + \mathcal{L}_{NSP}` (module docstring).

    Args:
        mlm_logits: (B, T, V), or (M, V) at the chosen positions only.
        mlm_labels: (B, T) with ``IGNORE_INDEX`` where not chosen, or (M,).
        nsp_logits: (B, 2); nsp_labels: (B,).
    """
    V = mlm_logits.shape[-1]
    chosen = mlm_labels != IGNORE_INDEX  # (B, T)
    if bool(chosen.any()):
        l_mlm = F.cross_entropy(mlm_logits.reshape(-1, V), mlm_labels.reshape(-1),
                                ignore_index=IGNORE_INDEX)  # mean over M
    else:
        l_mlm = mlm_logits.sum() * 0.0
    l_nsp = F.cross_entropy(nsp_logits, nsp_labels)  # mean over B
    return PretrainingLoss(loss=l_mlm + l_nsp, mlm=l_mlm, nsp=l_nsp)


@dataclass
class BertPretrainingState(LoopState):
    r"""What BERT pre-training changes as it trains, and the pairs it draws from."""

    model: BertPretraining
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws each batch's pairs and its masking."""
    pairs: Sequence[tuple[Sequence[int], Sequence[int], int]] = transient(())
    """The NSP pairs ``(A, B, label)`` of token ids (data: not checkpointed)."""
    scheduler: Any = None


def draw_batch(s: BertPretrainingState, batch_size: int, max_len: int,
               text_vocab: int) -> PretrainingBatch:
    r"""``batch_size`` pairs drawn uniformly with replacement from ``s.pairs``, masked."""
    idx = torch.randint(0, len(s.pairs), (batch_size,), generator=s.generator)
    return pretraining_batch([s.pairs[i] for i in idx.tolist()], max_len=max_len,
                             text_vocab=text_vocab, generator=s.generator)


def pretraining_step(batch_size: int, max_len: int, text_vocab: int) -> Step:
    r"""One update of :math:`\mathcal{L}` on a fresh batch; logs ``train_loss``, ``mlm_loss``,
    ``nsp_loss`` and ``lr`` (before the update)."""

    def step(s: BertPretrainingState) -> dict:
        batch = draw_batch(s, batch_size, max_len, text_vocab)
        s.model.train()
        mlm_logits, nsp_logits = s.model(batch.tokens, batch.segments, batch.lengths,
                                         batch.chosen)  # (M, V), (B, 2)
        L = pretraining_loss(mlm_logits, batch.mlm_labels[batch.chosen], nsp_logits,
                             batch.nsp_labels)
        s.optimizer.zero_grad(set_to_none=True)
        L.loss.backward()
        lr = s.optimizer.param_groups[0]["lr"]
        s.optimizer.step()
        if s.scheduler is not None:
            s.scheduler.step()
        return {"train_loss": L.loss.item(), "mlm_loss": L.mlm.item(),
                "nsp_loss": L.nsp.item(), "lr": lr}

    return step
