r"""Greedy decoding: the most probable next token at every step.

The Transformer lecture's first "tip for generation": the decoder outputs a distribution over
the vocabulary at each step and greedy decoding feeds back its argmax,

.. math:: y_t = \arg\max_{v} p(v \mid y_{<t}),

until EOS. Each step is locally best, yet the sequence need not be the most probable one,
:math:`\arg\max_y \prod_t p(y_t \mid y_{<t})`; beam search (``mllab.decoding.beam_search``)
searches further, and is greedy decoding when its width is 1.

Differences from the course: none. Ties go to the lowest token id (``torch.argmax``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.decoding.generation import Generation, generate
from mllab.decoding.step import State, StepFn

__all__ = ["greedy_decode"]


def greedy_decode(
    step_fn: StepFn,
    bos: int | Tensor,
    eos: int,
    max_len: int,
    batch_size: int | None = None,
    *,
    init_state: State = None,
    pad: int | None = None,
    device: torch.device | str | None = None,
) -> Generation:
    r"""Decode with :math:`y_t = \arg\max_v p(v \mid y_{<t})`, each sequence until EOS.

    Args:
        step_fn: ``step_fn(tokens (B, t), state) -> (logits (B, V), state)``
            (``mllab.decoding.step``): a function of the prefix or an incremental model.
        bos: the start token, or LongTensor prompts (B,) or (B, t0).
        eos: the end-of-sequence token.
        max_len: the most tokens generated per sequence, EOS included (>= 1).
        batch_size: B when ``bos`` is an int.
        init_state: the model's state before the first step.
        pad: the token written after EOS (default ``eos``).
        device: where the tokens live when ``bos`` is an int.

    Returns:
        :class:`~mllab.decoding.generation.Generation`: tokens (B, T), their log-probabilities
        (B, T) and lengths (B,); ``.log_prob`` is :math:`\log P(y)` (B,).
    """
    return generate(step_fn, lambda logits: logits.argmax(dim=-1), bos, eos, max_len,
                    batch_size, init_state=init_state, pad=pad, device=device)
