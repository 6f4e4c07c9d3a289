r"""Scheduled sampling: train the decoder on a mix of the ground truth and its own outputs.

Bengio et al., "Scheduled Sampling for Sequence Prediction with Recurrent Neural Networks",
arXiv:1506.03099. The Transformer lecture's tip against *exposure bias*: with teacher forcing
the decoder always reads the correct previous token in training, yet at test time it reads its
own outputs and has never learned to recover from its own mistakes. Scheduled sampling feeds,
at each decoder position, the gold previous token :math:`y_{t-1}` with probability
:math:`\epsilon_i` and the model's own previous output :math:`\hat y_{t-1}` otherwise, with
:math:`\epsilon_i` decaying over the training iterations :math:`i` (§2.4):

.. math::
    \text{linear: } \epsilon_i = \max(\epsilon, k - c\, i), \qquad
    \text{exponential: } \epsilon_i = k^i, \qquad
    \text{inverse sigmoid: } \epsilon_i = \frac{k}{k + \exp(i / k)}

so training starts as teacher forcing (:math:`\epsilon_i \approx 1`) and ends close to the
free-running conditions of inference.

:func:`scheduled_sampling_logits` decodes position by position through a step function
(``mllab.decoding.step``'s protocol, e.g. ``RNNSeq2Seq.step_function`` or
``Transformer.step_function``); a model with only a teacher-forced forward becomes one with
:func:`step_from_forward`. The coin of every position is drawn from an explicit
``torch.Generator``, always (also for :math:`\epsilon \in \{0, 1\}`), so one seed gives one mix
whatever :math:`\epsilon`.

Differences from the paper: the model's token is, by default, *sampled* from
:math:`\operatorname{softmax}(z_{t-1})` as in the paper (§2.3, "sampled from the model");
``feed="argmax"`` takes the most probable token instead, which makes :math:`\epsilon = 0`
exactly free-running greedy decoding. As in the paper, no gradient flows through the choice of
token (it is discrete); gradients flow through every position's logits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import is_real, require
from mllab.decoding.step import State, StepFn

__all__ = ["FEEDS", "ExponentialDecay", "InverseSigmoidDecay", "LinearDecay",
           "scheduled_sampling_logits", "step_from_forward"]

FEEDS = ("sample", "argmax")
r"""How the model's own previous token is chosen: sampled from its softmax, or its argmax."""


def _real(name: str, value: object, ok: bool, allowed: str) -> None:
    require(is_real(value) and ok, name, allowed, value)


def _iteration(i: int) -> int:
    require(isinstance(i, int) and not isinstance(i, bool) and i >= 0, "i",
            "an integer >= 0 (the training iteration)", i)
    return i


@dataclass(frozen=True)
class LinearDecay:
    r"""Linear decay :math:`\epsilon_i = \max(\epsilon, k - c\, i)` (arXiv:1506.03099 §2.4)."""

    c: float
    r"""Slope :math:`c > 0`: how much :math:`\epsilon_i` falls per iteration."""

    k: float = 1.0
    r"""Offset :math:`k` in (0, 1], :math:`\epsilon_0 = \max(\epsilon, k)`."""

    epsilon: float = 0.0
    r"""The floor :math:`0 \le \epsilon < 1`: the least probability of the gold token."""

    def __post_init__(self) -> None:
        _real("c", self.c, is_real(self.c) and self.c > 0, "a real number > 0")
        _real("k", self.k, is_real(self.k) and 0 < self.k <= 1, "a real number in (0, 1]")
        _real("epsilon", self.epsilon, is_real(self.epsilon) and 0 <= self.epsilon < 1,
              "a real number in [0, 1)")

    def __call__(self, i: int) -> float:
        r""":math:`\epsilon_i` at training iteration ``i`` >= 0."""
        return max(self.epsilon, self.k - self.c * _iteration(i))  # max(eps, k - c i)


@dataclass(frozen=True)
class ExponentialDecay:
    r"""Exponential decay :math:`\epsilon_i = k^i` (arXiv:1506.03099 §2.4)."""

    k: float
    r"""Base :math:`k` in (0, 1)."""

    def __post_init__(self) -> None:
        _real("k", self.k, is_real(self.k) and 0 < self.k < 1, "a real number in (0, 1)")

    def __call__(self, i: int) -> float:
        r""":math:`\epsilon_i` at training iteration ``i`` >= 0."""
        return self.k ** _iteration(i)  # k^i


@dataclass(frozen=True)
class InverseSigmoidDecay:
    r"""Inverse sigmoid decay :math:`\epsilon_i = k / (k + \exp(i / k))` (arXiv:1506.03099 §2.4).

    :math:`\epsilon_0 = k / (k + 1)`; :math:`\epsilon_i = 1/2` at :math:`i = k \ln k`.
    """

    k: float
    r"""Steepness :math:`k \ge 1`; larger :math:`k` decays later."""

    def __post_init__(self) -> None:
        _real("k", self.k, is_real(self.k) and self.k >= 1, "a real number >= 1")

    def __call__(self, i: int) -> float:
        r""":math:`\epsilon_i` at training iteration ``i`` >= 0."""
        x = _iteration(i) / self.k
        return 0.0 if x > 700 else self.k / (self.k + math.exp(x))  # k / (k + exp(i/k))


def step_from_forward(forward: Callable[[Tensor], Tensor]) -> StepFn:
    r"""A step function from a teacher-forced forward ``forward(tgt_in (N, t)) -> (N, t, V)``
    (e.g. ``lambda y: model(src, y)``): the whole prefix is recomputed at every step and the
    state stays None."""

    def step_fn(tokens: Tensor, state: State) -> tuple[Tensor, State]:
        return forward(tokens)[:, -1], None  # (N, V)

    return step_fn


def scheduled_sampling_logits(step_fn: StepFn, tgt_in: Tensor, epsilon: float,
                              generator: torch.Generator, *, init_state: State = None,
                              feed: str = "sample") -> tuple[Tensor, Tensor]:
    r"""Decoder logits ``(B, T, V)`` with each input the gold token with probability
    :math:`\epsilon`, else the model's own previous output.

    Position 0 always reads ``tgt_in[:, 0]`` (BEGIN). For :math:`t \ge 1` a coin
    :math:`u_t \sim U[0, 1)` is drawn per sequence and the decoder reads

    .. math:: \tilde y_{t} = \begin{cases} y^{in}_t & u_t < \epsilon \\
        \hat y_{t} \sim \operatorname{softmax}(z_{t-1}) \text{ (or its argmax)} & \text{else}
        \end{cases}

    Args:
        step_fn: ``step_fn(tokens (B, t), state) -> (logits (B, V), state)``.
        tgt_in: Gold decoder inputs (BEGIN then the target shifted right), ``(B, T)``.
        epsilon: :math:`\epsilon_i` in [0, 1]: 1 is teacher forcing, 0 free running.
        generator: Draws the coins (and the sampled tokens).
        init_state: The model's state before the first step (e.g. from ``step_function``).
        feed: ``"sample"`` (the paper's) or ``"argmax"``: how :math:`\hat y_t` is chosen.

    Returns:
        ``(logits, inputs)``: logits ``(B, T, V)`` to train against the gold targets, and the
        tokens the decoder actually read, ``(B, T)``.
    """
    require(is_real(epsilon) and 0 <= epsilon <= 1, "epsilon", "a real number in [0, 1]",
            epsilon)
    require(feed in FEEDS, "feed", f"one of {', '.join(map(repr, FEEDS))}", feed)
    require(tgt_in.dim() == 2 and tgt_in.shape[1] >= 1, "tgt_in", "a LongTensor (B, T), T >= 1",
            tuple(tgt_in.shape))
    B, T = tgt_in.shape
    tokens, state, logits = tgt_in[:, :1], init_state, []
    coins = torch.rand(B, T, generator=generator, device=tgt_in.device)  # (B, T): u_t
    for t in range(T):
        z, state = step_fn(tokens, state)  # (B, V): z_t
        logits.append(z)
        if t + 1 == T:
            break
        with torch.no_grad():
            if feed == "argmax":
                y_hat = z.argmax(dim=-1)  # (B,)
            else:
                y_hat = torch.multinomial(torch.softmax(z.float(), dim=-1), 1,
                                          generator=generator)[:, 0]  # (B,)
        gold = coins[:, t + 1] < epsilon  # (B,): u_t < eps
        y_next = torch.where(gold, tgt_in[:, t + 1], y_hat.to(tgt_in.dtype))
        tokens = torch.cat([tokens, y_next[:, None]], dim=1)  # (B, t + 2)
    return torch.stack(logits, dim=1), tokens  # (B, T, V), (B, T)
