r"""Fine-tuning BERT for the lecture's four cases: a task head on the encoder, the task's loss,
one step for the general loop, and the test scores.

Devlin et al., arXiv:1810.04805, §4: the pre-trained encoder and a new head are trained
together on the labelled task (the encoder may also start from random weights: the lecture's
"pre-train vs scratch" comparison). With :math:`h = \mathrm{BERT}(x)`:

- ``sequence``, ``pair``: :math:`p(c \mid x) = \mathrm{softmax}(W\,\mathrm{pool}(h) + b)`,
  :math:`\mathcal{L} = -\log p(y \mid x)`;
- ``token``: :math:`p(c \mid x, t) = \mathrm{softmax}(W h_t + b)`,
  :math:`\mathcal{L} = -\frac{1}{|L|} \sum_{t \in L} \log p(y_t \mid x, t)` over the labelled
  positions :math:`L`;
- ``span``: start and end scores :math:`s_t, e_t` (``SpanHead``), softmax over the real
  positions, :math:`\mathcal{L} = -\frac12 \big(\log p_{start}(s^*) + \log p_{end}(e^*)\big)`;
  the answer is :func:`~mllab.pretraining.best_span` over the document's positions.

:class:`FineTuningState` and :func:`fine_tuning_step` train on the general loop (each step
draws ``batch_size`` examples uniformly with replacement from ``state.examples``); the step
can call an ``evaluate(model) -> dict`` every ``eval_every`` steps, before the update, so the
history holds a test curve. The heads start as BERT's do, weights from
:math:`\mathcal{N}(0, 0.02^2)` (PyTorch's global generator), biases zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.pretraining.bert import Bert
from mllab.pretraining.bert_heads import SequenceClassifierHead, SpanHead, TokenClassifierHead
from mllab.pretraining.extractive_qa import best_span
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.squad_metrics import squad_scores
from mllab.pretraining.task_inputs import TASK_KINDS, TaskExample
from mllab.train.loop import LoopState, Step, transient

__all__ = ["FineTuningModel", "FineTuningState", "TaskBatch", "fine_tuning_loss",
           "fine_tuning_step", "predict", "task_batch", "task_scores"]


class FineTuningModel(nn.Module):
    r"""``bert`` and the head of ``kind`` (one of :data:`TASK_KINDS`)."""

    def __init__(self, bert: Bert, kind: str, num_classes: int = 2,
                 init_std: float = 0.02) -> None:
        super().__init__()
        require(kind in TASK_KINDS, "kind", f"one of {TASK_KINDS}", kind)
        require_int("num_classes", num_classes, 2)
        self.kind, self.bert = kind, bert
        self.head = (SpanHead(bert) if kind == "span" else
                     TokenClassifierHead(bert, num_classes) if kind == "token" else
                     SequenceClassifierHead(bert, num_classes))
        for m in self.head.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)

    def forward(self, tokens: Tensor, segments: Tensor, lengths: Tensor) -> Tensor:
        r"""Class logits ``(B, C)``, label logits ``(B, T, C)``, or start and end logits
        stacked ``(B, T, 2)`` (``span``)."""
        h = self.bert(tokens, segments, lengths)  # (B, T, d)
        if self.kind == "span":
            return torch.stack(self.head(h), dim=-1)  # (B, T, 2)
        return self.head(h if self.kind == "token" else self.bert.pool(h))


@dataclass(frozen=True)
class TaskBatch:
    r"""Examples padded at the end to the longest."""

    tokens: Tensor
    """LongTensor (B, T), padding ``PAD_ID``."""
    segments: Tensor
    """LongTensor (B, T)."""
    lengths: Tensor
    """LongTensor (B,)."""
    targets: Tensor
    """(B,) classes, (B, T) labels with ``IGNORE_INDEX``, or (B, 2) positions ``(s, e)``."""


def task_batch(examples: Sequence[TaskExample]) -> TaskBatch:
    r"""Pad ``examples`` (all of one kind) into a :class:`TaskBatch`."""
    require(len(examples) >= 1, "examples", "at least one example", 0)
    T = max(len(ex.tokens) for ex in examples)
    tokens = torch.zeros(len(examples), T, dtype=torch.long)  # (B, T), PAD_ID = 0
    segments = torch.zeros(len(examples), T, dtype=torch.long)  # (B, T)
    per_token = isinstance(examples[0].target, tuple) and \
        len(examples[0].target) == len(examples[0].tokens)
    targets = torch.full((len(examples), T), IGNORE_INDEX) if per_token else None
    for row, ex in enumerate(examples):
        tokens[row, :len(ex.tokens)] = torch.tensor(ex.tokens)
        segments[row, :len(ex.segments)] = torch.tensor(ex.segments)
        if per_token:
            targets[row, :len(ex.target)] = torch.tensor(ex.target)
    if not per_token:
        targets = torch.tensor([ex.target for ex in examples])  # (B,) or (B, 2)
    return TaskBatch(tokens, segments, torch.tensor([len(ex.tokens) for ex in examples]),
                     targets)


def fine_tuning_loss(kind: str, output: Tensor, batch: TaskBatch) -> Tensor:
    r"""The task's cross-entropy (module docstring) of ``output`` from
    :meth:`FineTuningModel.forward`."""
    if kind == "token":
        return F.cross_entropy(output.flatten(0, 1), batch.targets.flatten(),
                               ignore_index=IGNORE_INDEX)  # mean over labelled positions
    if kind == "span":
        real = torch.arange(output.shape[1]) < batch.lengths[:, None]  # (B, T)
        logits = output.masked_fill(~real[..., None], float("-inf"))  # (B, T, 2)
        return (F.cross_entropy(logits[..., 0], batch.targets[:, 0])
                + F.cross_entropy(logits[..., 1], batch.targets[:, 1])) / 2
    return F.cross_entropy(output, batch.targets)


@dataclass
class FineTuningState(LoopState):
    r"""What fine-tuning changes, and the labelled examples it draws from."""

    model: FineTuningModel
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws each batch's examples."""
    examples: Sequence[TaskExample] = transient(())
    """The training examples (data: not checkpointed)."""


def fine_tuning_step(batch_size: int, evaluate: Callable[[FineTuningModel], dict] | None = None,
                     eval_every: int = 0) -> Step:
    r"""One update of the task loss on ``batch_size`` examples drawn with replacement; logs
    ``train_loss``, and every ``eval_every`` steps (0: never) the keys of ``evaluate(model)``
    measured before the update."""
    require_int("batch_size", batch_size, 1)
    require_int("eval_every", eval_every, 0)

    def step(s: FineTuningState) -> dict:
        line = {}
        if evaluate is not None and eval_every and s.step % eval_every == 0:
            line = dict(evaluate(s.model))
        idx = torch.randint(0, len(s.examples), (batch_size,), generator=s.generator)
        batch = task_batch([s.examples[i] for i in idx.tolist()])
        s.model.train()
        output = s.model(batch.tokens, batch.segments, batch.lengths)
        loss = fine_tuning_loss(s.model.kind, output, batch)
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        return {"train_loss": loss.item(), **line}

    return step


@torch.no_grad()
def predict(model: FineTuningModel, examples: Sequence[TaskExample], *,
            max_answer_len: int = 8, batch_size: int = 256) -> list:
    r"""Per example: its class, its labels at the labelled positions (``token``), or its
    answer span ``(s, e)`` inside the document (``span``: segment 1 before the last
    ``[SEP]``, at most ``max_answer_len`` pieces)."""
    model.eval()
    out = []
    for i in range(0, len(examples), batch_size):
        chunk = examples[i:i + batch_size]
        b = task_batch(chunk)
        y = model(b.tokens, b.segments, b.lengths)
        if model.kind == "span":
            T = b.tokens.shape[1]
            allowed = (b.segments == 1) & (torch.arange(T) < b.lengths[:, None] - 1)  # (B, T)
            s, e, _ = best_span(y[..., 0], y[..., 1], allowed, max_answer_len)
            out += list(zip(s.tolist(), e.tolist(), strict=True))
        elif model.kind == "token":
            guess = y.argmax(-1)  # (B, T)
            out += [guess[r][b.targets[r] != IGNORE_INDEX].tolist() for r in range(len(chunk))]
        else:
            out += y.argmax(-1).tolist()
    return out


def task_scores(model: FineTuningModel, examples: Sequence[TaskExample],
                decode: Callable[[list[int]], str] | None = None) -> dict[str, float]:
    r"""``{"accuracy"}`` (per example, or per labelled word for ``token``), or SQuAD's
    ``{"exact_match", "f1"}`` of the decoded spans (``span``, needs ``decode``)."""
    guesses = predict(model, examples)
    if model.kind == "span":
        require(decode is not None, "decode", "the tokenizer's decode for span answers", None)
        texts = [decode(list(ex.tokens[s:e + 1])) for ex, (s, e) in zip(examples, guesses,
                                                                         strict=True)]
        return squad_scores(texts, [[ex.answer] for ex in examples])
    if model.kind == "token":
        gold = [t for ex in examples for t in ex.target if t != IGNORE_INDEX]
        flat = [g for row in guesses for g in row]
        return {"accuracy": sum(a == b for a, b in zip(flat, gold, strict=True)) / len(gold)}
    gold = [ex.target for ex in examples]
    return {"accuracy": sum(a == b for a, b in zip(guesses, gold, strict=True)) / len(gold)}
