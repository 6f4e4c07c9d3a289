r"""Critics of a fixed policy, tabular: :math:`V^\pi(s)` estimated by Monte Carlo and by
temporal difference from a batch of episodes (the lecture's "how to estimate
:math:`V^\pi(s)`"; Sutton and Barto, 2nd ed., §6.3, batch updating).

- **Monte Carlo**: :math:`V(s)` is the mean of the returns :math:`G'_t` that followed the
  visits to :math:`s` (every visit).
- **Temporal difference**: :math:`V(s_t) \leftarrow V(s_t) + \alpha\,(r_t + \gamma V(s_{t+1})
  - V(s_t))` for every transition, the increments of the whole batch summed and applied
  together, repeated until :math:`V` no longer changes; :math:`V` of a terminal state is 0.

An episode is ``(states (T,), rewards (T,))``: :math:`s_0, \dots, s_{T-1}` and the reward of
each step; the step after :math:`s_{T-1}` ends the episode. A state never visited keeps
``initial``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require
from mllab.rl.returns import discounted_returns

__all__ = ["mc_values", "td_values"]

Episode = tuple[Tensor, Tensor]


def mc_values(episodes: list[Episode], states: int, gamma: float = 1.0,
              initial: float = 0.0) -> Tensor:
    r"""Every-visit Monte Carlo: the mean :math:`G'_t` after each state, ``(states,)``."""
    visited = torch.cat([s for s, _ in episodes])  # (ΣT,)
    returns = torch.cat([discounted_returns(r.double(), gamma) for _, r in episodes])
    total = torch.zeros(states, dtype=torch.float64).index_add_(0, visited, returns)
    count = torch.bincount(visited, minlength=states).double()
    return torch.where(count > 0, total / count.clamp(min=1), initial)


def td_values(episodes: list[Episode], states: int, gamma: float = 1.0, initial: float = 0.0,
              tol: float = 1e-10, max_sweeps: int = 100_000) -> Tensor:
    r"""Batch TD(0), ``(states,)``: every transition's increment
    :math:`r_t + \gamma V(s_{t+1}) - V(s_t)`, summed over the batch and applied with
    :math:`\alpha = 1 / (\text{most visits of a state})`, until no value moves by ``tol``."""
    require(0 <= gamma <= 1, "gamma", "in [0, 1]", gamma)
    s = torch.cat([x for x, _ in episodes])  # (ΣT,)
    r = torch.cat([y for _, y in episodes]).double()
    nxt = torch.cat([torch.cat([x[1:], x.new_full((1,), states)]) for x, _ in episodes])
    V = torch.full((states + 1,), initial, dtype=torch.float64)  # the last: terminal
    V[states] = 0.0
    alpha = 1.0 / torch.bincount(s, minlength=states).max().item()
    for _ in range(max_sweeps):
        delta = r + gamma * V[nxt] - V[s]  # r_t + γ V(s_{t+1}) − V(s_t), every transition
        step = alpha * torch.zeros_like(V).index_add_(0, s, delta)
        V += step
        if step.abs().max() < tol:
            break
    return V[:states]
