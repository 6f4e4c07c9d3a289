r"""Token-by-token generation: feed back one chosen token per sequence until EOS or ``max_len``.

The Transformer lecture's decoder loop: start from BOS, pick :math:`y_t` from
:math:`p(\cdot \mid y_{<t})`, append it, repeat until the model writes EOS. How :math:`y_t` is
picked is the decoding method; :func:`generate` takes it as ``choose(logits) -> tokens`` so that
greedy decoding (``mllab.decoding.greedy``) and sampling (``mllab.decoding.sampling``) share
one loop. Beam search keeps several hypotheses per sequence and has a loop of its own.

Differences from the course: none in the method. Sequences that have written EOS keep their
row in the batch (the batch shape never changes, so the model's state needs no reordering);
they are fed ``pad`` and their later tokens are ``pad`` with log-probability 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import is_int, require, require_int
from mllab.decoding.step import State, StepFn, log_probs_of, prompt_tokens

__all__ = ["Generation", "generate"]


@dataclass(frozen=True)
class Generation:
    r"""Sequences generated from a batch of prompts, without the prompts."""

    tokens: Tensor
    r"""LongTensor (B, T): the generated tokens, EOS included, ``pad`` after it; T is the length
    of the longest sequence (at most ``max_len``)."""
    token_log_probs: Tensor
    r"""(B, T): :math:`\log p(y_t \mid y_{<t})` of each generated token under the model's own
    softmax (before any temperature or filtering), 0 at padding."""
    lengths: Tensor
    r"""LongTensor (B,): the number of generated tokens, EOS included."""

    @property
    def log_prob(self) -> Tensor:
        r""":math:`\log P(y) = \sum_t \log p(y_t \mid y_{<t})`, (B,)."""
        return self.token_log_probs.sum(dim=1)


def check_decode_args(eos: int, max_len: int, pad: int | None) -> int:
    r"""Validate the arguments every decoder shares; return the padding token (``eos`` if None)."""
    require(is_int(eos) and eos >= 0, "eos", "an int >= 0", eos)
    require_int("max_len", max_len, 1)
    require(pad is None or (is_int(pad) and pad >= 0), "pad", "None or an int >= 0", pad)
    return eos if pad is None else pad


def generate(
    step_fn: StepFn,
    choose: Callable[[Tensor], Tensor],
    bos: int | Tensor,
    eos: int,
    max_len: int,
    batch_size: int | None = None,
    *,
    init_state: State = None,
    pad: int | None = None,
    device: torch.device | str | None = None,
) -> Generation:
    r"""Generate with :math:`y_t = \mathrm{choose}(z_t)`, stopping each sequence at EOS.

    Args:
        step_fn: ``step_fn(tokens (B, t), state) -> (logits (B, V), state)``
            (``mllab.decoding.step``).
        choose: ``choose(logits (B, V)) -> LongTensor (B,)``, the next token of each sequence.
        bos: the start token, or LongTensor prompts (B,) or (B, t0).
        eos: the end-of-sequence token.
        max_len: the most tokens generated per sequence, EOS included (>= 1).
        batch_size: B when ``bos`` is an int.
        init_state: the model's state before the first step (None: the model starts its own).
        pad: the token after EOS (default ``eos``).
        device: where the tokens live when ``bos`` is an int.

    Returns:
        :class:`Generation`.
    """
    pad = check_decode_args(eos, max_len, pad)
    tokens = prompt_tokens(bos, batch_size, device)  # (B, t0)
    B, t0 = tokens.shape
    finished = torch.zeros(B, dtype=torch.bool, device=tokens.device)
    lengths = torch.full((B,), max_len, dtype=torch.long, device=tokens.device)
    state, token_log_probs = init_state, []
    for t in range(1, max_len + 1):
        logits, state = step_fn(tokens, state)
        log_p = log_probs_of(logits, B)  # (B, V)
        y = choose(logits).to(tokens.device)  # (B,)
        log_p_y = log_p.gather(1, y[:, None].to(log_p.device)).squeeze(1)  # (B,)
        y = torch.where(finished, torch.full_like(y, pad), y)
        token_log_probs.append(torch.where(finished.to(log_p.device), 0.0, log_p_y))
        tokens = torch.cat([tokens, y[:, None]], dim=1)  # (B, t0 + t)
        ends = ~finished & (y == eos)
        lengths[ends] = t
        finished |= ends
        if bool(finished.all()):
            break
    return Generation(tokens=tokens[:, t0:], token_log_probs=torch.stack(token_log_probs, 1),
                      lengths=lengths)
