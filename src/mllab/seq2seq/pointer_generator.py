r"""The copy mechanism: a pointer-generator's final distribution over an extended vocabulary.

Transformer lecture, tips for generation ("copy mechanism": a chat-bot repeats the user's name,
a summary repeats words of the article). See, Liu and Manning, "Get To The Point:
Summarization with Pointer-Generator Networks", arXiv:1704.04368, §2.2.

At decoder step :math:`t` with attention :math:`a^t` over the source words
:math:`w_1, \dots, w_S`, context vector :math:`h^*_t = \sum_i a^t_i h_i`, decoder state
:math:`s_t` and decoder input :math:`x_t`, the *generation probability* is

.. math:: p_{gen} = \sigma\big(w_{h^*}^\top h^*_t + w_s^\top s_t + w_x^\top x_t + b_{ptr}\big)
    \qquad \text{(Eq. 8)}

and the final distribution mixes generating from the fixed vocabulary with copying a source
word (pointing to it):

.. math:: P(w) = p_{gen} P_{vocab}(w) + (1 - p_{gen}) \sum_{i:\, w_i = w} a^t_i
    \qquad \text{(Eq. 9)}

over the *extended vocabulary*: the fixed vocabulary (ids ``0 .. V-1``) followed by the
source's out-of-vocabulary words (ids ``V, V+1, ...``, numbered per example). A word outside
the fixed vocabulary has :math:`P_{vocab}(w) = 0`; a word absent from the source gets no copy
mass; a word repeated in the source adds up the attention of all its positions. The loss is
the negative log-likelihood :math:`-\log P(w^*_t)` of the target word in the extended
vocabulary, averaged over the real (non-padding) target positions.

Differences from the paper: the coverage mechanism (§2.3) is left out. :math:`P` is returned as
probabilities (both terms are non-negative, so the mixture is a plain weighted sum); its
logarithm is taken once, in :func:`pointer_nll`, with the smallest positive float as a floor so
that a target of probability 0 (an out-of-vocabulary word that is not in the source) costs a
large finite loss instead of an infinite one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require_int

__all__ = ["GenerationProbability", "final_distribution", "generation_probability",
           "pointer_nll", "to_vocab"]


def generation_probability(h_star: Tensor, s: Tensor, x: Tensor, w_h: Tensor, w_s: Tensor,
                           w_x: Tensor, b: Tensor) -> Tensor:
    r""":math:`p_{gen} = \sigma(w_{h^*}^\top h^* + w_s^\top s_t + w_x^\top x_t + b_{ptr})`, Eq. (8).

    Args:
        h_star: Context vectors, shape ``(..., d_h)``.
        s: Decoder states, shape ``(..., d_s)``.
        x: Decoder inputs (embeddings), shape ``(..., d_x)``.
        w_h, w_s, w_x: The vectors, shapes ``(d_h,)``, ``(d_s,)``, ``(d_x,)``.
        b: The scalar bias (a 0-d or 1-element tensor).

    Returns:
        :math:`p_{gen} \in (0, 1)`, shape ``(...)``.
    """
    return torch.sigmoid(h_star @ w_h + s @ w_s + x @ w_x + b.reshape(()))  # Eq. (8)


class GenerationProbability(nn.Module):
    r"""Eq. (8) with learnable :math:`w_{h^*}, w_s, w_x, b_{ptr}` (uniform initial weights, as
    ``nn.Linear``; ``b`` starts at 0, so :math:`p_{gen}` starts near :math:`\frac12`).

    Args:
        d_h: Size of a context vector :math:`h^*`.
        d_s: Size of a decoder state :math:`s_t`.
        d_x: Size of a decoder input :math:`x_t`.
        generator: Optional generator for the initial weights.
    """

    def __init__(self, d_h: int, d_s: int, d_x: int, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        for name, value in (("d_h", d_h), ("d_s", d_s), ("d_x", d_x)):
            require_int(name, value, 1)
        bound = (d_h + d_s + d_x) ** -0.5
        self.w_h, self.w_s, self.w_x = (
            nn.Parameter((torch.rand(d, generator=generator) * 2 - 1) * bound)
            for d in (d_h, d_s, d_x))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, h_star: Tensor, s: Tensor, x: Tensor) -> Tensor:
        r""":math:`p_{gen}`, shape ``(...)``, for ``h_star`` ``(..., d_h)``, ``s`` ``(..., d_s)``,
        ``x`` ``(..., d_x)``."""
        return generation_probability(h_star, s, x, self.w_h, self.w_s, self.w_x, self.b)


def final_distribution(p_vocab: Tensor, a: Tensor, src_ext: Tensor, p_gen: Tensor,
                       n_extended: int) -> Tensor:
    r"""The pointer-generator's final distribution over the extended vocabulary, Eq. (9).

    .. math:: P(w) = p_{gen} P_{vocab}(w) + (1 - p_{gen}) \sum_{i:\, w_i = w} a^t_i

    Args:
        p_vocab: :math:`P_{vocab}`, shape ``(B, T, V)``, rows summing to 1.
        a: Attention over the source, shape ``(B, T, S)``, rows summing to 1 (zero on padding).
        src_ext: The source words as ids in the extended vocabulary, shape ``(B, S)``, each in
            ``[0, n_extended)``.
        p_gen: :math:`p_{gen}`, shape ``(B, T)`` (or ``(B, T, 1)``).
        n_extended: Size of the extended vocabulary (``V`` + the most out-of-vocabulary words
            of any source in the batch), ``>= V``.

    Returns:
        :math:`P`, shape ``(B, T, n_extended)``, rows summing to 1.
    """
    B, T, V = p_vocab.shape
    S = a.shape[-1]
    if n_extended < V:
        raise ValueError(f"n_extended must be >= V = {V}, got {n_extended}")
    if a.shape != (B, T, S) or src_ext.shape != (B, S):
        raise ValueError(f"a must be (B, T, S) = {(B, T, S)} and src_ext (B, S) = {(B, S)}, "
                         f"got {tuple(a.shape)} and {tuple(src_ext.shape)}")
    p_gen = p_gen.reshape(B, T, 1)  # (B, T, 1)
    generate = F.pad(p_gen * p_vocab, (0, n_extended - V))  # (B, T, V_ext): zero beyond V
    index = src_ext.unsqueeze(1).expand(B, T, S)  # (B, T, S): the word at each source position
    copy = torch.zeros_like(generate).scatter_add(-1, index, (1 - p_gen) * a)  # Σ_{i: w_i = w}
    return generate + copy  # Eq. (9)


def pointer_nll(P: Tensor, target: Tensor, *, ignore_index: int | None = None) -> Tensor:
    r"""The loss :math:`\frac{1}{N} \sum_t -\log P(w^*_t)` over the real target positions.

    Args:
        P: A distribution over the (extended) vocabulary, shape ``(B, T, V_ext)``.
        target: Target ids in the same vocabulary, shape ``(B, T)``.
        ignore_index: A padding id whose positions do not count (``None``: all count).

    Returns:
        The mean negative log-likelihood (a scalar); :math:`\log` is floored at the smallest
        positive float of ``P``'s dtype.
    """
    p_target = P.gather(-1, target.unsqueeze(-1)).squeeze(-1)  # (B, T): P(w*_t)
    nll = -torch.log(p_target.clamp_min(torch.finfo(P.dtype).tiny))
    if ignore_index is None:
        return nll.mean()
    real = target != ignore_index
    return nll[real].sum() / real.sum().clamp_min(1)


def to_vocab(ids: Tensor, vocab_size: int, unk: int) -> Tensor:
    r"""Ids of the extended vocabulary mapped into the fixed one: every id ``>= vocab_size``
    (an out-of-vocabulary word) becomes ``unk``."""
    return torch.where(ids >= vocab_size, torch.full_like(ids, unk), ids)
