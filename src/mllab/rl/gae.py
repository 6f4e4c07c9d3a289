r"""Critics' targets and advantages from a rollout: the TD target, the actor-critic advantage
and generalised advantage estimation (GAE, Schulman et al., arXiv:1506.02438).

A critic :math:`V^\pi(s)` learns by Monte Carlo (towards :math:`G'_t`) or by temporal
difference, towards :math:`r_t + \gamma V(s_{t+1})`. Actor-critic weighs an action by

.. math:: A_t = r_t + \gamma V(s_{t+1}) - V(s_t) = \delta_t,

and GAE (Eq. 16) averages the :math:`k`-step advantages with weights :math:`\lambda^k`:

.. math:: \hat A_t = \sum_{l \ge 0} (\gamma\lambda)^l \delta_{t+l},

:math:`\lambda = 0` giving :math:`\delta_t`, :math:`\lambda = 1` the Monte Carlo return minus
:math:`V(s_t)`. Where an episode ends (``terminated``) nothing of the next state counts.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require

__all__ = ["gae", "td_target"]


def td_target(rewards: Tensor, next_values: Tensor, terminated: Tensor, gamma: float) -> Tensor:
    r""":math:`r_t + \gamma (1 - d_t) V(s_{t+1})`, elementwise (``terminated`` :math:`d_t` 0/1)."""
    require(0 <= gamma <= 1, "gamma", "in [0, 1]", gamma)
    return rewards + gamma * (1 - terminated.to(rewards.dtype)) * next_values


def gae(rewards: Tensor, values: Tensor, last_value: Tensor, terminated: Tensor, gamma: float,
        lam: float) -> tuple[Tensor, Tensor]:
    r"""GAE over a rollout of ``T`` steps (``(T,)`` or ``(T, E)`` for ``E`` environments).

    Args:
        rewards: :math:`r_t`.
        values: :math:`V(s_t)`.
        last_value: :math:`V(s_T)`, the state after the rollout (``()`` or ``(E,)``).
        terminated: 1 where the episode ended after step :math:`t` (the next state is the
            next episode's first, or none).
        gamma, lam: :math:`\gamma`, :math:`\lambda` in [0, 1].

    Returns:
        ``(advantages, returns)``: :math:`\hat A_t` and :math:`\hat A_t + V(s_t)`, the critic's
        regression target.
    """
    require(0 <= lam <= 1, "lam", "in [0, 1]", lam)
    next_values = torch.cat([values[1:], last_value.reshape(1, *values.shape[1:])])  # V(s_{t+1})
    delta = td_target(rewards, next_values, terminated, gamma) - values  # δ_t
    keep = gamma * lam * (1 - terminated.to(rewards.dtype))
    out = torch.empty_like(rewards)
    running = torch.zeros_like(rewards[0])
    for t in reversed(range(len(rewards))):
        running = delta[t] + keep[t] * running  # Â_t = δ_t + γλ(1 − d_t) Â_{t+1}
        out[t] = running
    return out, out + values
