r"""Non-autoregressive decoding: predict the length, then every token in one parallel pass.

Gu et al., "Non-Autoregressive Neural Machine Translation", arXiv:1711.02281; the Transformer
lecture's "AT vs NAT". Where greedy decoding (:mod:`mllab.decoding.greedy`) needs :math:`T`
sequential decoder steps, the NAT (:class:`mllab.transformer.NonAutoregressiveTransformer`)
first takes the most probable length and then the argmax at every position of one decoder
pass:

.. math:: \hat T = \arg\max_T p_L(T \mid x), \qquad
    \hat y_t = \arg\max_v p(y_t = v \mid x, \hat T), \quad t = 0, \dots, \hat T - 1

The output has exactly :math:`\hat T` tokens (there is no END token to wait for): the length
is under the control of the length predictor, or of the caller who passes ``length``.

**Noisy parallel decoding** (§3.4, :func:`noisy_parallel_decode`): decode in parallel for
each of the ``candidates`` most probable lengths and keep the candidate an autoregressive model
scores highest, :math:`\arg\max_j \log P_{AT}(\hat y^{(j)}\, \mathrm{END} \mid x)`; the AT
model reads each candidate teacher-forced, so this costs a few parallel passes, not a
sequential decode.

Differences from the paper: the paper samples fertilities for NPD; here the candidates are the
top lengths of the length classifier. Ties go to the lowest id and to the shorter length
(``torch.argmax``, ``torch.topk`` order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require, require_int
from mllab.decoding.step import State, StepFn

__all__ = ["NATDecoding", "nat_decode", "noisy_parallel_decode", "sequence_log_prob"]


@dataclass
class NATDecoding:
    r"""What :func:`nat_decode` returns."""

    tokens: Tensor
    r"""LongTensor ``(B, T)``, ``T`` the longest output; ``pad`` after each length."""
    lengths: Tensor
    r"""LongTensor ``(B,)``: the length of each output (predicted, or the one given)."""
    scores: Tensor | None = None
    r"""``(B,)``: the AT model's :math:`\log P(\hat y\, \mathrm{END} \mid x)` of each output
    (noisy parallel decoding only)."""


def _given_lengths(length: int | Tensor, B: int, max_len: int, device) -> Tensor:
    if isinstance(length, Tensor):
        require(length.shape == (B,) and not length.is_floating_point(), "length",
                f"an int or an integer tensor of shape ({B},)", tuple(length.shape))
        lengths = length.to(device)
    else:
        require_int("length", length, 1)
        lengths = torch.full((B,), length, device=device)
    require(bool((lengths >= 1).all() and (lengths <= max_len).all()), "length",
            f"integers in 1 .. {max_len}", lengths.tolist())
    return lengths


@torch.no_grad()
def nat_decode(model, src: Tensor, src_lengths: Tensor | None = None,
               length: int | Tensor | None = None, *, pad: int = 0) -> NATDecoding:
    r"""Decode ``src`` ``(B, S)`` with a :class:`~mllab.transformer.NonAutoregressiveTransformer`:
    the predicted length (argmax) unless ``length`` is given, then one parallel decoder pass
    and the argmax per position.

    Args:
        model: A NAT (``encode``, ``predict_length``, ``decoder_inputs``, ``decode``).
        src: Source ids ``(B, S)``, padded at the end.
        src_lengths: Real source lengths ``(B,)``; ``None``: no padding.
        length: The output length(s) to use: an int, or a tensor ``(B,)``; ``None``: predict.
        pad: The id written after each output's length.

    Returns:
        :class:`NATDecoding` with tokens ``(B, max length)`` and lengths ``(B,)``.
    """
    memory = model.encode(src, src_lengths)
    if length is None:
        lengths = model.predict_length(memory, src_lengths).argmax(-1) + 1  # class k: T = k+1
    else:
        lengths = _given_lengths(length, src.shape[0], model.config.max_len, src.device)
    T = int(lengths.max())
    z = model.decoder_inputs(src, lengths, T, src_lengths)  # (B, T, d)
    tokens = model.decode(z, memory, lengths, src_lengths).argmax(-1)  # (B, T): one pass
    real = torch.arange(T, device=src.device)[None, :] < lengths[:, None]  # (B, T)
    return NATDecoding(tokens.masked_fill(~real, pad), lengths)


@torch.no_grad()
def sequence_log_prob(step_fn: StepFn, init_state: State, tokens: Tensor, lengths: Tensor,
                      bos: int, eos: int) -> Tensor:
    r""":math:`\log P(y_0 \dots y_{T-1}\, \mathrm{END} \mid x) = \sum_{t \le T} \log p(y_t \mid
    y_{<t})` (with :math:`y_T` = END) of each row of ``tokens`` ``(N, T_max)`` under an
    autoregressive step function, read teacher-forced (BOS first)."""
    N, T_max = tokens.shape
    target = torch.cat([tokens, torch.full((N, 1), eos, device=tokens.device)], 1)
    target = target.scatter(1, lengths[:, None], eos)  # (N, T_max + 1): END at each length
    prefix = torch.cat([torch.full((N, 1), bos, device=tokens.device), target], 1)
    state, total = init_state, torch.zeros(N, device=tokens.device)
    for t in range(T_max + 1):
        logits, state = step_fn(prefix[:, : t + 1], state)
        logp = logits.log_softmax(-1).gather(1, target[:, t : t + 1])[:, 0]  # (N,)
        total = total + torch.where(t <= lengths, logp, torch.zeros_like(logp))
    return total


@torch.no_grad()
def noisy_parallel_decode(model, src: Tensor, step_function: Callable[..., tuple[StepFn, State]],
                          *, bos: int, eos: int, candidates: int = 3,
                          src_lengths: Tensor | None = None, pad: int = 0) -> NATDecoding:
    r"""Noisy parallel decoding (arXiv:1711.02281 §3.4): :func:`nat_decode` at each of the
    ``candidates`` most probable lengths, rescored by an autoregressive model.

    Args:
        model: A NAT.
        src: Source ids ``(B, S)``.
        step_function: ``step_function(src, src_lengths) -> (step_fn, init_state)`` of the
            AT model, e.g. :meth:`mllab.transformer.Transformer.step_function`.
        bos, eos: The AT model's BEGIN and END ids.
        candidates: How many lengths to try (``1 .. max_len``).
        src_lengths: Real source lengths ``(B,)``; ``None``: no padding.
        pad: The id written after each output's length.

    Returns:
        :class:`NATDecoding` of the best candidate per source, with its AT score.
    """
    require_int("candidates", candidates, 1)
    require(candidates <= model.config.max_len, "candidates",
            f"at most max_len = {model.config.max_len}", candidates)
    B, S = src.shape
    l = candidates  # noqa: E741 (the paper's l)
    memory = model.encode(src, src_lengths)
    top = model.predict_length(memory, src_lengths).topk(l, dim=-1).indices + 1  # (B, l)
    src_l = src.repeat_interleave(l, 0)  # (B l, S): row b l + j is source b, length j
    lengths_l = None if src_lengths is None else src_lengths.repeat_interleave(l, 0)
    out = nat_decode(model, src_l, lengths_l, top.reshape(B * l), pad=pad)
    step_fn, state = step_function(src_l, lengths_l)
    scores = sequence_log_prob(step_fn, state, out.tokens, out.lengths, bos, eos).view(B, l)
    best = scores.argmax(-1)  # (B,)
    rows = torch.arange(B, device=src.device) * l + best
    lengths = out.lengths[rows]
    tokens = out.tokens[rows][:, : int(lengths.max())]
    return NATDecoding(tokens, lengths, scores.gather(1, best[:, None])[:, 0])
