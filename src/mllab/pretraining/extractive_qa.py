r"""Extractive question answering with BERT: the answer is a span of the document.

The self-supervised lecture's fourth case (SQuAD, Devlin et al. arXiv:1810.04805 §4.2): the
input is ``[CLS] question [SEP] document [SEP]``; a start score :math:`s_t` and an end score
:math:`e_t` per token (``mllab.pretraining.bert_heads.SpanHead``); the answer is the span
of the document with the highest total score, its start no later than its end and no longer
than a limit:

.. math::
    (\hat{s}, \hat{e}) = \operatorname*{arg\,max}_{s \le e < s + L,\ s, e \in \mathrm{doc}}
    \; s_s + e_e

A document longer than the model's input is split into *windows* of ``size`` tokens that
start every ``stride`` tokens (the last one ends at the document's end), so every answer of
length at most ``size - stride + 1`` lies whole inside some window; the best span over all
windows wins.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require, require_int

__all__ = ["best_span", "windows"]


def best_span(start: Tensor, end: Tensor, allowed: Tensor,
              max_answer_len: int) -> tuple[Tensor, Tensor, Tensor]:
    r"""The best span of each row: ``(s, e, score)``, each ``(B,)``.

    Args:
        start: Start logits :math:`s_t`, ``(B, T)``.
        end: End logits :math:`e_t`, ``(B, T)``.
        allowed: BoolTensor ``(B, T)``: the document's tokens (not the question, specials or
            padding); each row needs at least one.
        max_answer_len: :math:`L`, the most tokens an answer may have (>= 1).
    """
    require_int("max_answer_len", max_answer_len, 1)
    require(bool(allowed.any(dim=1).all()), "allowed", "at least one document token per row",
            "a row with none")
    T = start.shape[1]
    score = start[:, :, None] + end[:, None, :]  # (B, T_s, T_e): s_s + e_e
    offset = torch.arange(T)[None, :] - torch.arange(T)[:, None]  # (T_s, T_e): e - s
    valid = (offset >= 0) & (offset < max_answer_len)  # s <= e < s + L
    valid = valid[None] & allowed[:, :, None] & allowed[:, None, :]  # (B, T_s, T_e)
    score = score.masked_fill(~valid, float("-inf"))
    best, flat = score.flatten(1).max(dim=1)  # (B,)
    return flat // T, flat % T, best


def windows(length: int, size: int, stride: int) -> list[tuple[int, int]]:
    r"""``[(begin, end), ...]``: windows of ``size`` tokens every ``stride`` tokens covering
    ``range(length)``, the last ending at ``length`` (one window if the document fits).

    Args:
        length: Tokens in the document (>= 1).
        size: Tokens per window (>= 1).
        stride: Tokens between window starts, 1 <= stride <= size.
    """
    require_int("length", length, 1)
    require_int("size", size, 1)
    require(isinstance(stride, int) and 1 <= stride <= size, "stride",
            f"an integer in [1, size = {size}]", stride)
    if length <= size:
        return [(0, length)]
    begins = list(range(0, length - size, stride)) + [length - size]
    return [(b, b + size) for b in begins]
