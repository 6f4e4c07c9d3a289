r"""Deep Q-network (Mnih et al., arXiv:1312.5602; the target network of Nature 2015): Q-learning
with a network, a replay memory and a target network, one environment step and one update a
step of the general loop.

Each step: act :math:`\epsilon`-greedily on :math:`Q_\theta`, store :math:`(s, a, r, s', d)`,
then one gradient step on the Huber loss (the paper's error clipping) of

.. math:: y = r + \gamma (1 - d) \max_{a'} Q_{\theta^-}(s', a') \quad\text{against}\quad
    Q_\theta(s, a),

on a batch drawn uniformly from the replay memory (``replay``) or on the latest transitions in
order (without it), with :math:`\theta^-` a copy of :math:`\theta` refreshed every
``target_every`` steps (``target``) or :math:`\theta` itself (without it). :math:`\epsilon`
falls linearly from 1 to ``epsilon_end`` over ``explore_steps``. :math:`d` is 1 only where the
episode terminated, not where it was cut. Checkpoints may be taken only between episodes
(:func:`between_episodes`); each episode starts from its derived reset seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.train.loop import LoopState, Step, episode_seed, transient

__all__ = ["DQNConfig", "DQNState", "between_episodes", "dqn_step", "remember", "target_copy"]


@dataclass(frozen=True)
class DQNConfig:
    r"""One DQN learner."""

    seed: int
    """The run's seed, from which each episode's reset seed derives."""
    replay: bool = True
    """Draw each batch from the replay memory (else: the latest transitions, in order)."""
    target: bool = True
    r"""Bootstrap from a target network :math:`\theta^-` (else from :math:`\theta`)."""
    gamma: float = 0.99
    r""":math:`\gamma` in [0, 1]."""
    batch_size: int = 64
    """Transitions per update (>= 1)."""
    capacity: int = 10_000
    """The replay memory keeps the latest this many transitions (>= batch_size)."""
    learning_starts: int = 1_000
    """Steps before the first update (>= batch_size)."""
    target_every: int = 500
    r"""Steps between refreshes of :math:`\theta^-` (>= 1)."""
    explore_steps: int = 10_000
    r"""Steps over which :math:`\epsilon` falls from 1 (>= 1)."""
    epsilon_end: float = 0.05
    r"""The final :math:`\epsilon`, in [0, 1]."""

    def __post_init__(self) -> None:
        require(0 <= self.gamma <= 1, "gamma", "in [0, 1]", self.gamma)
        require_int("batch_size", self.batch_size, 1)
        require_int("capacity", self.capacity, self.batch_size)
        require_int("learning_starts", self.learning_starts, self.batch_size)
        require_int("target_every", self.target_every, 1)
        require_int("explore_steps", self.explore_steps, 1)
        require(0 <= self.epsilon_end <= 1, "epsilon_end", "in [0, 1]", self.epsilon_end)


@dataclass
class DQNState(LoopState):
    r"""What a DQN learner changes: both networks, the memory, the episode in progress."""

    q: nn.Module
    r""":math:`Q_\theta`: observations ``(B, obs)`` to action values ``(B, actions)``."""
    target: nn.Module
    r""":math:`Q_{\theta^-}`."""
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    r"""Draws the :math:`\epsilon`-greedy choices and the replayed batches."""
    memory: dict[str, Tensor] = field(default_factory=dict)
    """The transitions, oldest first: ``obs``, ``action``, ``reward``, ``next_obs``, ``done``."""
    obs: Tensor | None = None
    """The current observation; None between episodes."""
    episode_return: float = 0.0
    returns: list[float] = field(default_factory=list)
    """Each finished episode's return, in order (its length is the next episode's index)."""
    env: Any = transient()
    """A gymnasium environment with discrete actions (not checkpointed)."""


def between_episodes(s: DQNState) -> bool:
    r"""The loop's ``boundary``: a checkpoint may be taken only between episodes."""
    return s.obs is None


def remember(memory: dict[str, Tensor], transition: dict[str, Tensor], capacity: int) -> None:
    r"""Append ``transition`` to the replay ``memory`` in place, keeping the latest ``capacity``
    (DQN's and DDPG's)."""
    for k, v in transition.items():
        old = memory.get(k)
        memory[k] = v[None] if old is None else torch.cat([old[-(capacity - 1):], v[None]])


def dqn_step(config: DQNConfig) -> Step:
    r"""One environment step and (after ``learning_starts``) one update; logs the finished
    episode's ``episode_return`` and ``loss`` at episode ends."""

    def step(s: DQNState) -> dict | None:
        t = s.step  # steps taken before this one
        # 1. act ε-greedily (a new episode starts from its derived reset seed)
        if s.obs is None:
            obs, _ = s.env.reset(seed=episode_seed(config.seed, len(s.returns)))
            s.obs = torch.as_tensor(obs, dtype=torch.float32)
        epsilon = max(config.epsilon_end, 1 - (1 - config.epsilon_end) * t / config.explore_steps)
        with torch.no_grad():
            q_values = s.q(s.obs[None])[0]  # (actions,)
        if float(torch.rand((), generator=s.generator)) < epsilon:
            action = int(torch.randint(len(q_values), (), generator=s.generator))
        else:
            action = int(q_values.argmax())
        obs, reward, terminated, truncated, _ = s.env.step(action)
        nxt = torch.as_tensor(obs, dtype=torch.float32)
        # 2. remember (s, a, r, s', d)
        remember(s.memory, {"obs": s.obs, "action": torch.tensor(action),
                            "reward": torch.tensor(float(reward)), "next_obs": nxt,
                            "done": torch.tensor(float(terminated))}, config.capacity)
        s.episode_return += float(reward)
        s.obs = nxt
        line = None
        # 3. one update on a replayed (or the latest) batch: Huber(Q(s, a), r + γ(1-d) max Q⁻)
        n = len(s.memory["action"])
        if t + 1 >= config.learning_starts:
            i = torch.randint(n, (config.batch_size,), generator=s.generator) if config.replay \
                else torch.arange(n - config.batch_size, n)
            m = {k: v[i] for k, v in s.memory.items()}
            bootstrap = s.target if config.target else s.q
            with torch.no_grad():
                y = m["reward"] + config.gamma * (1 - m["done"]) * \
                    bootstrap(m["next_obs"]).amax(1)
            q = s.q(m["obs"]).gather(1, m["action"][:, None]).squeeze(1)
            loss = F.smooth_l1_loss(q, y)
            s.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            s.optimizer.step()
            line = {"loss": loss.item()}
        # 4. refresh θ⁻ every target_every steps
        if config.target and (t + 1) % config.target_every == 0:
            s.target.load_state_dict(s.q.state_dict())
        if terminated or truncated:
            s.returns.append(s.episode_return)
            s.obs, s.episode_return = None, 0.0
            return {**(line or {}), "episode_return": s.returns[-1]}
        return None

    return step


def target_copy(q: nn.Module) -> nn.Module:
    r"""A frozen copy of ``q``, to be :math:`\theta^-`."""
    target = copy.deepcopy(q)
    for p in target.parameters():
        p.requires_grad_(False)
    return target
