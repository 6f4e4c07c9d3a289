r"""Policy gradient, the lecture's way: collect episodes with the actor :math:`\pi_\theta`,
weigh each action's log-probability by :math:`A_t`, step (one step of the general loop is one
update on a batch of whole episodes).

.. math:: L(\theta) = -\frac1N \sum_{n=1}^{N} \sum_{t=1}^{T_n} A^n_t \log
    \pi_\theta(a^n_t \mid s^n_t),

with :math:`A_t` of version 0-3 (:func:`mllab.rl.advantages`); version 3's baseline
:math:`b` is the batch's mean of :math:`G'_t` over all its steps, an estimate of the expected
return. Data are used once: after the update the episodes are thrown away (on-policy).

Each episode :math:`k` starts with ``env.reset(seed=episode_seed(seed, k))``; actions are drawn
from the state's generator, so a run killed at a step boundary resumes bitwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.rl.evaluation import sampled
from mllab.rl.returns import VERSIONS, advantages, discounted_returns
from mllab.train.loop import LoopState, Step, episode_seed, transient

__all__ = ["Episode", "PolicyGradientConfig", "PolicyGradientState", "collect_episode",
           "episode_weights", "policy_gradient_loss", "policy_gradient_step"]


@dataclass(frozen=True)
class PolicyGradientConfig:
    r"""One policy-gradient learner."""

    version: int
    r"""Which :math:`A_t`: 0 immediate, 1 cumulated, 2 discounted, 3 discounted minus a
    baseline."""
    seed: int
    """The run's seed, from which each episode's reset seed derives."""
    gamma: float = 0.99
    r""":math:`\gamma` of versions 2 and 3, in [0, 1]."""
    episodes: int = 5
    """Episodes per update, :math:`N` (>= 1)."""
    max_steps: int = 500
    """An episode is cut after this many steps (>= 1)."""

    def __post_init__(self) -> None:
        require(self.version in VERSIONS, "version", "one of 0, 1, 2, 3", self.version)
        require(0 <= self.gamma <= 1, "gamma", "in [0, 1]", self.gamma)
        require_int("episodes", self.episodes, 1)
        require_int("max_steps", self.max_steps, 1)


@dataclass
class PolicyGradientState(LoopState):
    r"""What a policy-gradient learner changes."""

    policy: nn.Module
    r"""The actor: observations ``(B, obs)`` to action logits ``(B, actions)``."""
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws the actions."""
    returns: list[float] = field(default_factory=list)
    """Each finished episode's return, in order (its length is the next episode's index)."""
    env: Any = transient()
    """A gymnasium environment with discrete actions (not checkpointed)."""


@dataclass
class Episode:
    r"""One episode: observations ``(T, obs)``, actions ``(T,)``, rewards ``(T,)``; the
    observation after the last step ``(obs,)`` and whether the episode terminated there (else
    it was cut: a critic bootstraps from ``last_obs``)."""

    obs: Tensor
    actions: Tensor
    rewards: Tensor
    last_obs: Tensor | None = None
    terminated: bool = True


@torch.no_grad()
def collect_episode(policy: nn.Module, env: Any, *, seed: int, generator: torch.Generator,
                    max_steps: int = 500) -> Episode:
    r"""Play one episode from ``env.reset(seed=seed)``, :math:`a_t \sim \pi(\cdot|s_t)` drawn
    from ``generator``."""
    act = sampled(policy, generator)
    obs, _ = env.reset(seed=seed)
    seen, actions, rewards, terminated = [], [], [], False
    for _ in range(max_steps):
        o = torch.as_tensor(obs, dtype=torch.float32)
        a = act(o)
        obs, r, terminated, truncated, _ = env.step(a)
        seen.append(o)
        actions.append(a)
        rewards.append(float(r))
        if terminated or truncated:
            break
    return Episode(torch.stack(seen), torch.tensor(actions),
                   torch.tensor(rewards, dtype=torch.float32),
                   torch.as_tensor(obs, dtype=torch.float32), bool(terminated))


def policy_gradient_loss(policy: nn.Module, episodes: list[Episode], weights: list[Tensor],
                         logits: Tensor | None = None) -> Tensor:
    r""":math:`-\frac1N \sum_n \sum_t A^n_t \log \pi_\theta(a^n_t|s^n_t)` with ``weights`` the
    :math:`A^n_t` of each episode (``logits`` ``(ΣT, actions)``: the policy's on the
    episodes' observations, where the caller has them already)."""
    if logits is None:
        logits = policy(torch.cat([e.obs for e in episodes]))  # (ΣT, actions)
    actions = torch.cat([e.actions for e in episodes])  # (ΣT,)
    log_p = torch.log_softmax(logits, dim=-1).gather(1, actions[:, None]).squeeze(1)
    return -(torch.cat(weights) * log_p).sum() / len(episodes)


def episode_weights(episodes: list[Episode], config: PolicyGradientConfig) -> list[Tensor]:
    r"""Each episode's :math:`A_t` of ``config.version``; version 3 subtracts the batch's mean
    :math:`G'_t`."""
    baseline = 0.0
    if config.version == 3:
        baseline = torch.cat([discounted_returns(e.rewards, config.gamma)
                              for e in episodes]).mean()
    return [advantages(e.rewards, config.version, config.gamma, baseline) for e in episodes]


def policy_gradient_step(config: PolicyGradientConfig) -> Step:
    r"""One update on ``config.episodes`` fresh episodes; logs their mean ``episode_return``."""

    def step(s: PolicyGradientState) -> dict:
        # 1. collect N episodes with the current actor, each from its derived reset seed
        episodes = []
        for _ in range(config.episodes):
            e = collect_episode(s.policy, s.env, seed=episode_seed(config.seed, len(s.returns)),
                                generator=s.generator, max_steps=config.max_steps)
            episodes.append(e)
            s.returns.append(float(e.rewards.sum()))
        # 2. A_t of the version; 3. one step on L(θ) = -(1/N) Σ A_t log π(a_t|s_t)
        loss = policy_gradient_loss(s.policy, episodes, episode_weights(episodes, config))
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        return {"episode_return": sum(s.returns[-config.episodes:]) / config.episodes}

    return step
