r"""GPT's self-supervised task: predict the next token (the self-supervised lecture).

A sentence :math:`x_1 \dots x_m` becomes :math:`\mathrm{BOS}\, x_1 \dots x_m\, \mathrm{EOS}`;
the model reads every prefix and is trained on the mean cross-entropy of the token that
follows it (Radford et al., 2018/2019, the language-modelling objective),

.. math:: \mathcal L = -\frac{1}{N} \sum_{s} \sum_{t=1}^{m_s + 1} \ln p_\theta(x_t \mid
    \mathrm{BOS}, x_1, \dots, x_{t-1}), \qquad x_{m_s + 1} = \mathrm{EOS},

:math:`N` the number of predicted tokens in the batch; its exponent on held-out text is the
perplexity. A sentence longer than the context is cut to its first ``max_len`` predicted
tokens (the EOS is then lost).

Differences from GPT-2: one sentence per row, padded, instead of a stream of text cut into
blocks of the context length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require_int
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID
from mllab.train.state import LoopState, transient

__all__ = ["NextTokenState", "next_token_batch", "next_token_nll", "next_token_step"]


def next_token_batch(sentences: Sequence[Sequence[int]], max_len: int) -> tuple[Tensor, Tensor]:
    r"""Inputs ``(B, T)`` (``BOS x_1 .. x_m``, PAD after) and targets ``(B, T)``
    (``x_1 .. x_m EOS``, ``IGNORE_INDEX`` after), :math:`T \le` ``max_len``."""
    require_int("max_len", max_len, 1)
    rows = [[BOS_ID, *[int(t) for t in s], EOS_ID][:max_len + 1] for s in sentences]
    T = max(len(r) for r in rows) - 1
    inputs = torch.full((len(rows), T), PAD_ID, dtype=torch.long)
    targets = torch.full((len(rows), T), IGNORE_INDEX, dtype=torch.long)
    for b, r in enumerate(rows):
        inputs[b, :len(r) - 1] = torch.tensor(r[:-1])
        targets[b, :len(r) - 1] = torch.tensor(r[1:])  # shifted by one
    return inputs, targets


def next_token_nll(model: nn.Module, sentences: Sequence[Sequence[int]], max_len: int,
                   batch_size: int = 256) -> tuple[float, int]:
    r"""The summed :math:`-\ln p_\theta` of every predicted token of ``sentences`` (float64
    sum, eval mode, no gradient) and the number of tokens :math:`N`: the perplexity is
    :math:`\exp(\text{sum} / N)`."""
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, len(sentences), batch_size):
            x, y = next_token_batch(sentences[i:i + batch_size], max_len)
            logits = model(x)  # (B, T, V)
            nll = F.cross_entropy(logits.flatten(0, 1).double(), y.flatten(),
                                  ignore_index=IGNORE_INDEX, reduction="sum")
            total += float(nll)
            count += int((y != IGNORE_INDEX).sum())
    model.train(was_training)
    return total, count


@dataclass
class NextTokenState(LoopState):
    r"""What next-token training changes, and the sentences it draws from."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws each batch's sentences."""
    sentences: Sequence[Sequence[int]] = transient(())
    """Training sentences of token ids (data: not checkpointed)."""


def next_token_step(batch_size: int, max_len: int):
    r"""One update of :math:`\mathcal L` on ``batch_size`` sentences drawn uniformly with
    replacement; logs ``train_loss`` (nats per token)."""

    def step(s: NextTokenState) -> dict:
        idx = torch.randint(0, len(s.sentences), (batch_size,), generator=s.generator)
        x, y = next_token_batch([s.sentences[i] for i in idx.tolist()], max_len)
        s.model.train()
        logits = s.model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE_INDEX)
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        return {"train_loss": loss.item()}

    return step
