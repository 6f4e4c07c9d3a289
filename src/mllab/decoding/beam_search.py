r"""Beam search: keep the ``beam_width`` most probable prefixes at every step.

The Transformer lecture's second "tip for generation": greedy decoding commits to the best
token at each step, which need not give the most probable sequence
:math:`\arg\max_y \log P(y) = \arg\max_y \sum_t \log p(y_t \mid y_{<t})`; beam search keeps
the :math:`K` best partial hypotheses instead, extends each by every token and keeps the
:math:`K` best of the :math:`K V` extensions. The lecture adds that beam search is not always
better: for open-ended generation (a story, a dialogue) the most probable sequence is often
dull or repetitive, and randomness (``mllab.decoding.sampling``) helps there.

Length normalisation. :math:`\log P(y)` only falls as :math:`y` grows, so an unnormalised
search prefers short hypotheses. Finished hypotheses are ranked by

.. math:: s(y) = \frac{\log P(y)}{|y|^{\alpha}},

:math:`|y|` the number of generated tokens, EOS included; :math:`\alpha = 0` is no
normalisation and :math:`\alpha = 1` the per-token average. This is the plain power of the
length, as fairseq's and Hugging Face's ``length_penalty``; GNMT's
:math:`\mathrm{lp}(y) = ((5 + |y|)/6)^{\alpha}` (Wu et al., 2016, arXiv:1609.08144, Eq. 14)
is *not* the one used here.

EOS handling (as in fairseq's ``SequenceGenerator``). Of the :math:`2K` best extensions, those
that end in EOS and rank within the first :math:`K` are finished and kept aside (the
:math:`K` best per batch item by :math:`s`); the :math:`K` best of the others stay live. At
``max_len`` every extension in the first :math:`K` is finished, EOS or not. A batch item is
done when it holds :math:`K` finished hypotheses none worse than the best score a live one
could still reach: with :math:`\log P \le 0` and :math:`|y| \le L` (``max_len``), a live
hypothesis with log-probability :math:`\ell` ends with :math:`s \le \ell / L^{\alpha}`, so the
stop loses nothing. With :math:`K = 1` and :math:`\alpha = 0` this is greedy decoding;
with :math:`K` at least the number of extensions, the exact :math:`\arg\max_y s(y)`.

Differences from the course: none in the method; the stopping rule is the exact bound above
rather than Hugging Face's heuristic (the live score over the current length).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int
from mllab.decoding.generation import check_decode_args
from mllab.decoding.step import Reorder, State, StepFn, log_probs_of, prompt_tokens, reorder_state

__all__ = ["BeamSearchResult", "beam_search", "length_normalised"]


def length_normalised(log_prob: Tensor, length: Tensor | int, alpha: float) -> Tensor:
    r"""The score :math:`s(y) = \log P(y) / |y|^{\alpha}` that ranks finished hypotheses."""
    return log_prob / torch.as_tensor(length, dtype=log_prob.dtype) ** alpha


@dataclass(frozen=True)
class BeamSearchResult:
    r"""The ``beam_width`` best finished hypotheses of each batch item, best first."""

    sequences: Tensor
    r"""LongTensor (B, K, T): the n-best, without the prompt, ``pad`` after EOS (all ``pad`` in
    an empty slot)."""
    scores: Tensor
    r"""(B, K): :math:`s(y) = \log P(y) / |y|^\alpha`, descending; ``-inf`` for empty slots
    (fewer than K sequences exist)."""
    log_probs: Tensor
    r"""(B, K): :math:`\log P(y)`."""
    lengths: Tensor
    r"""LongTensor (B, K): :math:`|y|`, EOS included (0 for empty slots)."""

    @property
    def tokens(self) -> Tensor:
        r"""The best sequence of each batch item, LongTensor (B, T)."""
        return self.sequences[:, 0]

    @property
    def score(self) -> Tensor:
        r"""The best normalised score of each batch item, (B,)."""
        return self.scores[:, 0]


def _check(beam_width: int, alpha: float) -> None:
    require_int("beam_width", beam_width, 1)
    require(is_real(alpha) and alpha >= 0, "alpha", "a real number >= 0", alpha)


def beam_search(
    step_fn: StepFn,
    bos: int | Tensor,
    eos: int,
    max_len: int,
    batch_size: int | None = None,
    *,
    beam_width: int = 4,
    alpha: float = 0.0,
    init_state: State = None,
    reorder: Reorder = reorder_state,
    pad: int | None = None,
    device: torch.device | str | None = None,
) -> BeamSearchResult:
    r"""Batched beam search: B items × K hypotheses decoded as one batch of B·K rows.

    Args:
        step_fn: ``step_fn(tokens (B*K, t), state) -> (logits (B*K, V), state)``
            (``mllab.decoding.step``); row ``b*K + k`` is hypothesis ``k`` of item ``b``.
        bos: the start token, or LongTensor prompts (B,) or (B, t0).
        eos: the end-of-sequence token.
        max_len: the most tokens generated per hypothesis, EOS included (>= 1).
        batch_size: B when ``bos`` is an int.
        beam_width: K, the hypotheses kept per item (>= 1).
        alpha: the length-normalisation exponent :math:`\alpha \ge 0` of :math:`|y|^\alpha`.
        init_state: the model's state for the B items (rows repeated K times before the first
            step), or None.
        reorder: ``reorder(state, index)``, row ``i`` of the new state row ``index[i]`` of the
            old (default: ``index_select`` on dimension 0 of every tensor).
        pad: the token written after EOS (default ``eos``).
        device: where the tokens live when ``bos`` is an int.

    Returns:
        :class:`BeamSearchResult`: ``.tokens`` (B, T) and ``.score`` (B,) of the best
        hypothesis, the n-best in ``.sequences`` (B, K, T) and ``.scores`` (B, K).
    """
    pad = check_decode_args(eos, max_len, pad)
    _check(beam_width, alpha)
    K = beam_width
    prompt = prompt_tokens(bos, batch_size, device)  # (B, t0)
    B, t0 = prompt.shape
    dev = prompt.device
    rows = torch.arange(B, device=dev).repeat_interleave(K)  # (B*K,) item of each row
    tokens = prompt.index_select(0, rows)  # (B*K, t0)
    state = None if init_state is None else reorder(init_state, rows)
    first_row = torch.arange(B, device=dev)[:, None] * K  # (B, 1) row of hypothesis 0
    live = fin_scores = fin_log_p = None
    fin_len = torch.zeros(B, K, dtype=torch.long, device=dev)
    fin_seq = torch.full((B, K, max_len), pad, dtype=torch.long, device=dev)
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    for t in range(1, max_len + 1):
        logits, state = step_fn(tokens, state)
        log_p = log_probs_of(logits, B * K).to(dev)  # (B*K, V)
        V = log_p.shape[1]
        log_p = log_p.view(B, K, V)  # (B, K, V)
        if live is None:  # one live hypothesis per item at the start, so no duplicates
            live = torch.full((B, K), -torch.inf, dtype=log_p.dtype, device=dev)
            live[:, 0] = 0.0
            fin_scores = torch.full_like(live, -torch.inf)
            fin_log_p = torch.full_like(live, -torch.inf)
        # 1. extend every live hypothesis by every token; keep the 2K best extensions
        extended = (live[:, :, None] + log_p).view(B, K * V)  # (B, K*V) log P(y_{<t} v)
        top, index = extended.topk(min(2 * K, K * V), dim=1)  # (B, 2K), descending
        src = first_row + torch.div(index, V, rounding_mode="floor")  # (B, 2K) source row
        y = index % V  # (B, 2K) the appended token
        # 2. finished: EOS (every token at max_len) among the first K, kept aside by s(y)
        ranks = torch.arange(top.shape[1], device=dev)[None, :]  # (1, 2K)
        ends = ((y == eos) | (t == max_len)) & (ranks < K) & torch.isfinite(top) & ~done[:, None]
        seq = torch.cat([tokens.index_select(0, src.flatten())[:, t0:], y.reshape(-1, 1)], dim=1)
        seq = seq.view(B, -1, t)  # (B, 2K, t)
        seq = torch.nn.functional.pad(seq, (0, max_len - t), value=pad)  # (B, 2K, max_len)
        all_scores = torch.cat([fin_scores, torch.where(ends, length_normalised(top, t, alpha),
                                                        -torch.inf)], dim=1)  # (B, 3K)
        fin_scores, keep = all_scores.topk(K, dim=1)  # (B, K)
        fin_log_p = torch.cat([fin_log_p, top.masked_fill(~ends, -torch.inf)], 1).gather(1, keep)
        fin_len = torch.cat([fin_len, ends.long() * t], dim=1).gather(1, keep)  # 0: empty slot
        keep_seq = keep[:, :, None].expand(-1, -1, max_len)  # (B, K, max_len)
        fin_seq = torch.cat([fin_seq, seq], dim=1).gather(1, keep_seq)
        if t == max_len:
            break
        # 3. live: the K best extensions that do not end in EOS; rows and state follow them
        live, pos = torch.where(y == eos, -torch.inf, top).topk(K, dim=1)  # (B, K)
        chosen = src.gather(1, pos).flatten()  # (B*K,)
        tokens = torch.cat([tokens.index_select(0, chosen), y.gather(1, pos).view(-1, 1)], 1)
        state = reorder(state, chosen)
        # 4. stop an item once its K-th finished beats what its best live one could reach
        bound = length_normalised(live[:, 0], max_len, alpha)  # (B,)
        done |= fin_scores[:, -1] >= bound
        if bool(done.all()):
            break
    fin_seq = fin_seq.masked_fill(fin_len[:, :, None] == 0, pad)  # empty slots: all pad
    T = int(fin_len.max().clamp(min=1))
    return BeamSearchResult(sequences=fin_seq[:, :, :T], scores=fin_scores, log_probs=fin_log_p,
                            lengths=fin_len)
