r"""BERT's masked-language-model corruption: which tokens to hide, and what to put there.

Devlin et al., arXiv:1810.04805, §3.1 "Task #1: Masked LM" and Appendix A.1. Of the tokens
that may be masked (not ``[CLS]``, ``[SEP]`` or padding), each is chosen with probability
:math:`p = 0.15`; a chosen token is replaced by ``[MASK]`` with probability 0.8, by a random
token with probability 0.1, and left unchanged with probability 0.1. The model must predict
the original token at every chosen position, and only there:

.. math::
    \mathcal{L}_{MLM} = -\frac{1}{|M|} \sum_{t \in M} \log p_\theta(x_t \mid \tilde{x})

The labels are the original tokens at chosen positions and ``ignore_index`` (-100, PyTorch's
``cross_entropy`` default) elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require, require_int

__all__ = ["IGNORE_INDEX", "MaskedTokens", "mask_tokens"]

IGNORE_INDEX = -100
r"""The label of positions the loss ignores (``F.cross_entropy``'s default)."""


@dataclass(frozen=True)
class MaskedTokens:
    r"""A corrupted batch and what the model must recover."""

    inputs: Tensor
    r"""LongTensor (B, T): the tokens with ``[MASK]``, random and unchanged replacements."""
    labels: Tensor
    r"""LongTensor (B, T): the original token where chosen, :data:`IGNORE_INDEX` elsewhere."""
    chosen: Tensor
    r"""BoolTensor (B, T): the positions the loss counts, :math:`M`."""


def mask_tokens(tokens: Tensor, maskable: Tensor, *, mask_id: int, vocab: int,
                generator: torch.Generator, p: float = 0.15, p_mask: float = 0.8,
                p_random: float = 0.1) -> MaskedTokens:
    r"""Corrupt ``tokens`` as BERT's masked LM does, drawing only from ``generator``.

    Args:
        tokens: LongTensor (B, T) of token ids.
        maskable: BoolTensor (B, T), True where a token may be chosen (not a special token or
            padding).
        mask_id: The id of ``[MASK]``.
        vocab: Random replacements are drawn uniformly from ``[0, vocab)``.
        generator: The source of every random choice.
        p: Probability that a maskable token is chosen (BERT: 0.15).
        p_mask: Probability that a chosen token becomes ``[MASK]`` (BERT: 0.8).
        p_random: Probability that a chosen token becomes a random token (BERT: 0.1); the rest
            stay unchanged.
    """
    require(0.0 < p <= 1.0, "p", "a probability in (0, 1]", p)
    require(p_mask >= 0 and p_random >= 0 and p_mask + p_random <= 1.0, "p_mask",
            "with p_random, probabilities >= 0 summing to at most 1", (p_mask, p_random))
    require_int("vocab", vocab, 1)
    require(tokens.shape == maskable.shape, "maskable", f"of shape {tuple(tokens.shape)}",
            tuple(maskable.shape))
    u = torch.rand(tokens.shape, generator=generator, device=tokens.device)  # who is chosen
    chosen = maskable & (u < p)
    v = torch.rand(tokens.shape, generator=generator, device=tokens.device)  # what replaces
    random_tokens = torch.randint(0, vocab, tokens.shape, generator=generator,
                                  device=tokens.device)
    inputs = torch.where(chosen & (v < p_mask), mask_id, tokens)
    inputs = torch.where(chosen & (v >= p_mask) & (v < p_mask + p_random), random_tokens, inputs)
    labels = torch.where(chosen, tokens, IGNORE_INDEX)
    return MaskedTokens(inputs=inputs, labels=labels, chosen=chosen)
