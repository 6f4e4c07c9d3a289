r"""What weighs each action's log-probability in policy gradient: the lecture's versions 0-3
of :math:`A_t`.

The actor's loss is :math:`L = -\sum_t A_t \log \pi_\theta(a_t \mid s_t)`, and :math:`A_t`
evolves (for one episode of rewards :math:`r_1, \dots, r_N`):

- version 0: :math:`A_t = r_t`, the immediate reward (an action's later effects are ignored);
- version 1: :math:`A_t = G_t = \sum_{n \ge t} r_n`, the cumulated reward;
- version 2: :math:`A_t = G'_t = \sum_{n \ge t} \gamma^{n-t} r_n`, discounted, :math:`\gamma < 1`;
- version 3: :math:`A_t = G'_t - b`, a baseline subtracted so that :math:`A_t` can be negative
  (when every reward is positive, versions 1 and 2 raise every sampled action).
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require

__all__ = ["VERSIONS", "advantages", "discounted_returns"]

VERSIONS = (0, 1, 2, 3)


def discounted_returns(rewards: Tensor, gamma: float) -> Tensor:
    r""":math:`G'_t = r_t + \gamma G'_{t+1}`, :math:`G'_{N+1} = 0`, for one episode's rewards
    ``(N,)``; :math:`\gamma = 1` gives version 1's :math:`G_t`. Returns ``(N,)``."""
    require(0 <= gamma <= 1, "gamma", "in [0, 1]", gamma)
    out = torch.empty_like(rewards)
    running = rewards.new_zeros(())
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running  # G'_t = r_t + γ G'_{t+1}
        out[t] = running
    return out


def advantages(rewards: Tensor, version: int, gamma: float = 0.99,
               baseline: Tensor | float = 0.0) -> Tensor:
    r""":math:`A_t` of ``version`` (0-3, above) for one episode's rewards ``(N,)``; ``gamma``
    is used by versions 2 and 3, ``baseline`` :math:`b` (a number or ``(N,)``) by version 3."""
    require(version in VERSIONS, "version", "one of 0, 1, 2, 3", version)
    if version == 0:
        return rewards.clone()  # A_t = r_t
    if version == 1:
        return discounted_returns(rewards, 1.0)  # A_t = G_t
    returns = discounted_returns(rewards, gamma)  # A_t = G'_t
    return returns if version == 2 else returns - baseline  # version 3: G'_t − b
