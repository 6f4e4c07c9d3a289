r"""Tabular value-based learning: SARSA and Q-learning, one episode per step of the general
loop (Sutton and Barto, *Reinforcement Learning: An Introduction*, 2nd ed., §6.4-6.5).

Both move :math:`Q(s, a)` towards a TD target after each transition
:math:`(s, a, r, s')`, acting :math:`\epsilon`-greedily:

.. math:: Q(s, a) \leftarrow Q(s, a) + \alpha\,\big(y - Q(s, a)\big), \qquad
    y = \begin{cases} r + \gamma Q(s', a') & \text{SARSA (on-policy: } a' \text{ the action it
    takes next)} \\ r + \gamma \max_{a''} Q(s', a'') & \text{Q-learning (off-policy: the
    greedy action)} \end{cases}

with :math:`y = r` where the episode terminates. SARSA therefore values the policy it follows,
exploration included; Q-learning the greedy policy, whatever it does meanwhile.

One step of :func:`td_control_step` is one whole episode, started with
``env.reset(seed=episode_seed(seed, k))`` for the episode index :math:`k`: every step ends at
an episode boundary, where the loop may checkpoint (the environment is not saved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from mllab.config import require, require_int
from mllab.train.loop import LoopState, Step, episode_seed, transient

__all__ = ["METHODS", "TDControlConfig", "TDControlState", "epsilon_greedy", "greedy_path",
           "td_control_step"]

METHODS = ("sarsa", "q_learning")


@dataclass(frozen=True)
class TDControlConfig:
    r"""One tabular learner."""

    method: str
    """``"sarsa"`` or ``"q_learning"``."""
    seed: int
    """The run's seed, from which each episode's reset seed derives."""
    alpha: float = 0.5
    r"""Step size :math:`\alpha` in (0, 1]."""
    epsilon: float = 0.1
    r"""Exploration: a uniformly random action with probability :math:`\epsilon` in [0, 1]."""
    gamma: float = 1.0
    r"""Discount :math:`\gamma` in [0, 1]."""
    max_steps: int = 10_000
    """An episode is cut after this many transitions (>= 1)."""

    def __post_init__(self) -> None:
        require(self.method in METHODS, "method", f"one of {', '.join(METHODS)}", self.method)
        require(0 < self.alpha <= 1, "alpha", "in (0, 1]", self.alpha)
        require(0 <= self.epsilon <= 1, "epsilon", "in [0, 1]", self.epsilon)
        require(0 <= self.gamma <= 1, "gamma", "in [0, 1]", self.gamma)
        require_int("max_steps", self.max_steps, 1)


@dataclass
class TDControlState(LoopState):
    r"""What a tabular learner changes: :math:`Q`, its generator and its episodes' returns."""

    Q: Tensor
    r""":math:`Q(s, a)`, ``(states, actions)``."""
    generator: torch.Generator
    r"""Draws the :math:`\epsilon`-greedy choices and breaks ties between greedy actions."""
    returns: list[float] = field(default_factory=list)
    """Each finished episode's return, in order: the online returns while learning."""
    env: Any = transient()
    """A gymnasium environment with discrete states and actions (not checkpointed)."""


def epsilon_greedy(q_row: Tensor, epsilon: float, generator: torch.Generator) -> int:
    r"""With probability :math:`\epsilon` a uniformly random action, else a greedy one
    (:math:`\arg\max_a Q(s, a)`, ties broken uniformly at random)."""
    if float(torch.rand((), generator=generator, dtype=torch.float64)) < epsilon:
        return int(torch.randint(len(q_row), (), generator=generator))
    best = (q_row == q_row.max()).nonzero().flatten()
    return int(best[torch.randint(len(best), (), generator=generator)])


def td_control_step(config: TDControlConfig) -> Step:
    r"""One episode of SARSA or Q-learning; logs ``episode_return`` and ``length``."""
    sarsa = config.method == "sarsa"

    def step(s: TDControlState) -> dict:
        Q, g = s.Q, s.generator
        # 1. a new episode from its derived reset seed; the first action
        state, _ = s.env.reset(seed=episode_seed(config.seed, len(s.returns)))
        action = epsilon_greedy(Q[state], config.epsilon, g)
        total, n, done = 0.0, 0, False
        while not done:
            # 2. act; observe r and s'
            nxt, reward, terminated, truncated, _ = s.env.step(action)
            n += 1
            total += reward
            done = terminated or truncated or n >= config.max_steps
            # 3. the TD target: SARSA's next action, chosen now; Q-learning's greedy value
            if sarsa:
                nxt_action = epsilon_greedy(Q[nxt], config.epsilon, g)
                ahead = Q[nxt, nxt_action]
            else:
                ahead = Q[nxt].max()
            y = reward + (0.0 if terminated else config.gamma * float(ahead))
            # 4. Q(s, a) ← Q(s, a) + α (y − Q(s, a))
            Q[state, action] += config.alpha * (y - Q[state, action])
            if not sarsa:  # Q-learning chooses from the updated Q
                nxt_action = epsilon_greedy(Q[nxt], config.epsilon, g)
            state, action = nxt, nxt_action
        s.returns.append(total)
        return {"episode_return": total, "length": n}

    return step


def greedy_path(Q: Tensor, env: Any, *, seed: int, max_steps: int = 100) -> list[int]:
    r"""The states visited by the greedy policy :math:`\arg\max_a Q(s, a)` (ties: the first
    action) from ``env.reset(seed=seed)``, until the episode ends or ``max_steps``."""
    state, _ = env.reset(seed=seed)
    path = [int(state)]
    for _ in range(max_steps):
        state, _, terminated, truncated, _ = env.step(int(Q[state].argmax()))
        path.append(int(state))
        if terminated or truncated:
            break
    return path
