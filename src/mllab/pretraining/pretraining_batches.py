r"""BERT's pre-training input: consecutive tokenized sentences become a batch of
``[CLS] A [SEP] B [SEP]`` pairs with segments, lengths, next-sentence labels and masked tokens.

Devlin et al., arXiv:1810.04805, §3.1 and Appendix A.2. For a corpus of consecutive sentences
:math:`s_1, \dots, s_n` (token ids, no special tokens):

1. **pairs** (:func:`mllab.pretraining.sentence_pairs`): for each :math:`s_i`, B is
   :math:`s_{i+1}` (``IS_NEXT``) with probability 0.5, otherwise a random other sentence
   (``NOT_NEXT``);
2. **layout** (:func:`pack_pair`): ``[CLS] A [SEP] B [SEP]``, segment 0 for ``[CLS] A [SEP]``
   and 1 for ``B [SEP]``; when :math:`|A| + |B| + 3 > T_{max}` the longer of A and B loses its
   last token until the pair fits (BERT's ``truncate_seq_pair``);
3. **batch** (:func:`pretraining_batch`): the pairs padded at the end to the longest, with their
   real lengths, then the masked-LM corruption :func:`mllab.pretraining.mask_tokens` (15%
   chosen; 80% ``[MASK]``, 10% random, 10% unchanged) on the text tokens only: ``[CLS]``,
   ``[SEP]`` and padding are never chosen.

Special ids, shared with :mod:`mllab.text`: ``[CLS]`` is ``BOS_ID`` (1), ``[SEP]`` is
``EOS_ID`` (2), padding is ``PAD_ID`` (0), and ``[MASK]`` is the tokenizer's ``vocab_size``
:math:`V_{text}` (one past its last id), so BERT's vocabulary is :math:`V_{text} + 1`
(:func:`bert_vocab`). Random replacements are drawn uniformly from the tokenizer's
:math:`[0, V_{text})` (never ``[MASK]``).

All randomness comes from the ``generator`` arguments.

Differences from the paper: truncation always drops from the end (BERT picks front or back at
random); sentences are single verses rather than spans packed up to 512 tokens; random
replacements may (rarely, :math:`4/V_{text}` of them) be one of the four special ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require, require_int
from mllab.pretraining.masking import mask_tokens
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID

__all__ = ["CLS_ID", "SEP_ID", "PretrainingBatch", "bert_vocab", "mask_id", "pack_pair",
           "pretraining_batch"]

CLS_ID = BOS_ID
r"""``[CLS]``, the first token of every input: the tokenizers' BOS id (1)."""
SEP_ID = EOS_ID
r"""``[SEP]``, after A and after B: the tokenizers' EOS id (2)."""


def mask_id(text_vocab: int) -> int:
    r"""The id of ``[MASK]``: :math:`V_{text}`, one past the tokenizer's last id."""
    require_int("text_vocab", text_vocab, 5)
    return text_vocab


def bert_vocab(text_vocab: int) -> int:
    r"""BERT's vocabulary :math:`V = V_{text} + 1`: the tokenizer's ids and ``[MASK]``."""
    return mask_id(text_vocab) + 1


@dataclass(frozen=True)
class PretrainingBatch:
    r"""A batch of B pairs padded to T tokens, corrupted for the masked LM."""

    tokens: Tensor
    r"""LongTensor (B, T): the corrupted inputs ``[CLS] Ã [SEP] B̃ [SEP]`` then ``PAD_ID``."""
    original: Tensor
    r"""LongTensor (B, T): the same before corruption."""
    segments: Tensor
    r"""LongTensor (B, T): 0 for ``[CLS] A [SEP]`` (and padding), 1 for ``B [SEP]``."""
    lengths: Tensor
    r"""LongTensor (B,): real lengths, ``[CLS]`` and both ``[SEP]`` included."""
    mlm_labels: Tensor
    r"""LongTensor (B, T): the original token at chosen positions, ``IGNORE_INDEX`` elsewhere."""
    chosen: Tensor
    r"""BoolTensor (B, T): the chosen positions :math:`M`."""
    nsp_labels: Tensor
    r"""LongTensor (B,): ``IS_NEXT`` (0) or ``NOT_NEXT`` (1)."""


def pack_pair(a: Sequence[int], b: Sequence[int], max_len: int) -> tuple[list[int], list[int]]:
    r"""``([CLS] A [SEP] B [SEP], segments)`` of at most ``max_len`` tokens.

    While :math:`|A| + |B| > T_{max} - 3` the longer of the two (A when equal) loses its last
    token. Each of A and B must keep at least one token, so ``max_len`` must be at least 5.
    """
    require_int("max_len", max_len, 5)
    require(len(a) >= 1 and len(b) >= 1, "a, b", "non-empty token lists", (len(a), len(b)))
    a, b = list(a), list(b)
    while len(a) + len(b) > max_len - 3:
        if len(a) >= len(b):
            a.pop()
        else:
            b.pop()
    ids = [CLS_ID, *a, SEP_ID, *b, SEP_ID]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    return ids, segments


def pretraining_batch(pairs: Sequence[tuple[Sequence[int], Sequence[int], int]], *,
                      max_len: int, text_vocab: int, generator: torch.Generator,
                      p: float = 0.15, p_mask: float = 0.8,
                      p_random: float = 0.1) -> PretrainingBatch:
    r"""Lay out, pad and corrupt ``pairs`` ``(A, B, nsp_label)`` of token ids.

    Args:
        pairs: From :func:`mllab.pretraining.sentence_pairs` on tokenized sentences.
        max_len: Longest input :math:`T_{max}` (>= 5).
        text_vocab: The tokenizer's :math:`V_{text}`; ``[MASK]`` is this id.
        generator: The source of every masking choice.
        p, p_mask, p_random: As in :func:`mllab.pretraining.mask_tokens` (BERT's defaults).
    """
    require(len(pairs) >= 1, "pairs", "at least one (A, B, label) pair", len(pairs))
    packed = [pack_pair(a, b, max_len) for a, b, _ in pairs]
    T = max(len(ids) for ids, _ in packed)
    original = torch.full((len(packed), T), PAD_ID, dtype=torch.long)  # (B, T)
    segments = torch.zeros((len(packed), T), dtype=torch.long)  # (B, T)
    for row, (ids, seg) in enumerate(packed):
        original[row, :len(ids)] = torch.tensor(ids)
        segments[row, :len(seg)] = torch.tensor(seg)
    lengths = torch.tensor([len(ids) for ids, _ in packed])  # (B,)
    real = torch.arange(T) < lengths[:, None]  # (B, T)
    # positions, not ids, decide which tokens are special: [CLS], the two [SEP], padding
    maskable = real.clone()  # (B, T)
    for row, (ids, seg) in enumerate(packed):
        sep_a = seg.index(1) - 1  # the [SEP] after A
        maskable[row, [0, sep_a, len(ids) - 1]] = False
    corrupted = mask_tokens(original, maskable, mask_id=mask_id(text_vocab), vocab=text_vocab,
                            generator=generator, p=p, p_mask=p_mask, p_random=p_random)
    return PretrainingBatch(tokens=corrupted.inputs, original=original, segments=segments,
                            lengths=lengths, mlm_labels=corrupted.labels,
                            chosen=corrupted.chosen,
                            nsp_labels=torch.tensor([label for _, _, label in pairs]))
