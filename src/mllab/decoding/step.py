r"""The one protocol every decoder of ``mllab.decoding`` calls: a step function and its state.

The Transformer lecture's decoder produces one token at a time: given the tokens so far it
gives a distribution over the next one,

.. math:: p(y_t \mid y_{<t}) = \operatorname{softmax}(z_t), \qquad z_t = f(y_{<t}),

and a *decoding method* (greedy, beam search, sampling) decides which token to feed back. The
decoders here know nothing about the model; it is a callable

.. code-block:: python

    logits, state = step_fn(tokens, state)
    # tokens: LongTensor (N, t), the whole prefix, BOS (or the prompt) first
    # state:  whatever the model carries between calls (None at the start)
    # logits: (N, V), unnormalized scores or log-probabilities of the next token

Two kinds of model fit it:

- **a plain function of the prefix** recomputes everything from ``tokens`` and ignores
  ``state`` (it returns ``None``);
- **an incremental model** with a key/value cache reads only ``tokens[:, -1]`` and keeps the
  cache in ``state``. Beam search moves hypotheses between rows; it then calls
  ``reorder(state, index)`` so that row ``i`` of the new state is row ``index[i]`` of the old.
  The default, :func:`reorder_state`, applies ``index_select(0, index)`` to every tensor in a
  (nested) tuple, list, dict or dataclass (a key/value cache), which is right whenever every
  tensor of the state is batch-first; a model with another layout passes its own ``reorder``.

Decoders apply ``log_softmax`` to what ``step_fn`` returns, which leaves log-probabilities
unchanged, so either may be returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from mllab.config import ConfigError, is_int, require, require_int

__all__ = ["Reorder", "State", "StepFn", "log_probs_of", "prompt_tokens", "reorder_state"]

State = Any
r"""Whatever the model keeps between steps (a key/value cache, an encoder's output), or None."""

StepFn = Callable[[Tensor, State], tuple[Tensor, State]]
r"""``step_fn(tokens (N, t), state) -> (logits (N, V), new_state)``."""

Reorder = Callable[[State, Tensor], State]
r"""``reorder(state, index) -> state``, row ``i`` of the result row ``index[i]`` of ``state``."""


def reorder_state(state: State, index: Tensor) -> State:
    r"""Rows ``index`` of every tensor in ``state`` (dimension 0), containers kept as they are.

    Args:
        state: None, a tensor with the batch first, or a tuple, list, dict or dataclass
            instance of those (nested).
        index: LongTensor (N',) of rows to take; rows may repeat (beams sharing a prefix).

    Returns:
        The state with :math:`s'_i = s_{\mathrm{index}_i}`; None stays None and anything that is
        not a tensor is returned unchanged.
    """
    if isinstance(state, Tensor):
        return state.index_select(0, index.to(state.device))
    if isinstance(state, tuple | list):
        return type(state)(reorder_state(s, index) for s in state)
    if isinstance(state, dict):
        return {k: reorder_state(v, index) for k, v in state.items()}
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        return dataclasses.replace(state, **{f.name: reorder_state(getattr(state, f.name), index)
                                             for f in dataclasses.fields(state) if f.init})
    return state


def prompt_tokens(bos: int | Tensor, batch_size: int | None,
                  device: torch.device | str | None = None) -> Tensor:
    r"""The prefix every sequence starts from, as a LongTensor (B, t0).

    Args:
        bos: the start token (an int: every sequence starts with it, ``batch_size`` of them) or
            a LongTensor of prompts, (B,) or (B, t0); then ``batch_size`` is B or None.
        batch_size: the number of sequences B.
        device: where the tokens go (that of ``bos`` when it is a tensor and this is None).

    Returns:
        LongTensor (B, t0).
    """
    if isinstance(bos, Tensor):
        require(bos.dim() in (1, 2) and bos.numel() > 0 and not bos.is_floating_point(), "bos",
                "an int or a non-empty integer tensor (B,) or (B, t0)", tuple(bos.shape))
        tokens = bos.long().reshape(bos.shape[0], -1)  # (B, t0)
        require(batch_size is None or batch_size == tokens.shape[0], "batch_size",
                f"None or the batch size of bos ({tokens.shape[0]})", batch_size)
        return tokens if device is None else tokens.to(device)
    require(is_int(bos) and bos >= 0, "bos", "an int >= 0 or a tensor of prompts", bos)
    if batch_size is None:
        raise ConfigError("batch_size must be given when bos is an int, got None")
    require_int("batch_size", batch_size, 1)
    return torch.full((batch_size, 1), bos, dtype=torch.long, device=device)  # (B, 1)


def log_probs_of(logits: Tensor, rows: int) -> Tensor:
    r""":math:`\log\operatorname{softmax}(z)` over the last dimension, checked to be (N, V).

    Args:
        logits: (N, V) from ``step_fn``.
        rows: the expected N, one row per sequence or hypothesis fed in.
    """
    if logits.dim() != 2 or logits.shape[0] != rows:
        raise ConfigError(f"step_fn must return logits (N, V) with N = {rows}, "
                          f"got {tuple(logits.shape)}")
    return torch.log_softmax(logits, dim=-1)  # (N, V)
