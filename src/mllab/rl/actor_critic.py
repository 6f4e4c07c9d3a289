r"""Actor and critic together: one network with a shared trunk, a policy head and a value
head (A2C, Mnih et al., arXiv:1602.01783), trained on a batch of whole episodes per step of
the general loop.

The critic :math:`V(s)` turns the actor's weight into an advantage, in one of two ways:

- ``"mc"``, REINFORCE with a learned baseline: :math:`A_t = G'_t - V(s_t)`, the critic
  regressed on the Monte Carlo return :math:`G'_t`;
- ``"td"``, advantage actor-critic: :math:`A_t = y_t - V(s_t)` with the :math:`n`-step TD
  target :math:`y_t = \sum_{k<n} \gamma^k r_{t+k} + \gamma^n V(s_{t+n})`, on which the critic
  is regressed too: :math:`n = 1` is the lecture's :math:`r_t + \gamma V(s_{t+1}) - V(s_t)`,
  the paper's A2C looks :math:`t_\max = 5` steps ahead. Near the episode's end the sum stops
  there: :math:`V = 0` after a terminal state; an episode cut short bootstraps from the state
  it was cut at.

The loss, per update on :math:`N` episodes of :math:`\sum_n T_n` steps:

.. math:: L = -\frac1N \sum_{n,t} A_t \log\pi(a_t|s_t)
    + c_V \frac{1}{\sum_n T_n} \sum_{n,t} \big(y_t - V(s_t)\big)^2,

with :math:`A_t` and the target :math:`y_t` held fixed (no gradient through them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.rl.policy_gradient import Episode, collect_episode, policy_gradient_loss
from mllab.rl.returns import discounted_returns
from mllab.train.loop import LoopState, Step, episode_seed, transient

__all__ = ["CRITICS", "ActorCritic", "ActorCriticConfig", "ActorCriticState",
           "actor_critic_step", "critic_targets"]

CRITICS = ("mc", "td")


def _trunk(obs: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(obs, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())


class ActorCritic(nn.Module):
    r"""Observations ``(B, obs)`` to ``(logits (B, actions), V (B,))`` through a trunk of two
    tanh layers, shared by the policy and value heads, or (``shared=False``) the value head on
    a trunk of its own, so that the critic's loss does not move the actor's features."""

    def __init__(self, obs: int, actions: int, hidden: int = 32, shared: bool = True) -> None:
        super().__init__()
        self.trunk = _trunk(obs, hidden)
        self.policy = nn.Linear(hidden, actions)
        self.value = nn.Linear(hidden, 1)
        self.value_trunk = None if shared else _trunk(obs, hidden)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(x)
        h_value = h if self.value_trunk is None else self.value_trunk(x)
        return self.policy(h), self.value(h_value).squeeze(-1)

    def logits(self, x: Tensor) -> Tensor:
        return self.policy(self.trunk(x))


@dataclass(frozen=True)
class ActorCriticConfig:
    r"""One actor-critic learner."""

    critic: str
    """``"mc"`` (REINFORCE with a learned baseline) or ``"td"`` (A2C)."""
    seed: int
    """The run's seed, from which each episode's reset seed derives."""
    gamma: float = 0.99
    r""":math:`\gamma` in [0, 1]."""
    n: int = 1
    r""":math:`n`, the TD target's steps of reward before the critic's estimate (>= 1)."""
    value_coef: float = 0.5
    r""":math:`c_V`, the critic's weight in the loss (>= 0)."""
    episodes: int = 5
    """Episodes per update (>= 1)."""
    max_steps: int = 500
    """An episode is cut after this many steps (>= 1)."""

    def __post_init__(self) -> None:
        require(self.critic in CRITICS, "critic", "one of mc, td", self.critic)
        require(0 <= self.gamma <= 1, "gamma", "in [0, 1]", self.gamma)
        require_int("n", self.n, 1)
        require(self.value_coef >= 0, "value_coef", ">= 0", self.value_coef)
        require_int("episodes", self.episodes, 1)
        require_int("max_steps", self.max_steps, 1)


@dataclass
class ActorCriticState(LoopState):
    r"""What an actor-critic learner changes (REINFORCE with a baseline, A2C, PPO)."""

    net: ActorCritic
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws the actions."""
    returns: list[float] = field(default_factory=list)
    """Each finished episode's return, in order."""
    steps: int = 0
    """Environment steps taken so far."""
    env: Any = transient()
    """A gymnasium environment with discrete actions (not checkpointed)."""


@torch.no_grad()
def critic_targets(net: ActorCritic, episodes: list[Episode], critic: str, gamma: float,
                   n: int = 1) -> Tensor:
    r"""The critic's regression targets :math:`y_t` over the episodes' steps ``(ΣT,)``: the
    return :math:`G'_t` (``"mc"``) or the :math:`n`-step TD target (``"td"``; the sum stops
    at the episode's end: nothing after a terminal step, :math:`V` of ``last_obs`` after a cut
    one)."""
    if critic == "mc":
        return torch.cat([discounted_returns(e.rewards, gamma) for e in episodes])
    out = []
    for e in episodes:
        T = len(e.rewards)
        following = net(torch.cat([e.obs[1:], e.last_obs[None]]))[1]  # V(s_{t+1}), (T,)
        if e.terminated:
            following[-1] = 0.0
        y = torch.empty(T)
        for t in range(T):
            end = min(t + n, T)  # rewards r_t .. r_{end-1}, then V(s_end)
            discounts = gamma ** torch.arange(end - t, dtype=torch.float32)
            y[t] = (discounts * e.rewards[t:end]).sum() + gamma ** (end - t) * following[end - 1]
        out.append(y)
    return torch.cat(out)


def actor_critic_step(config: ActorCriticConfig) -> Step:
    r"""One update on ``config.episodes`` fresh episodes; logs their mean ``episode_return``,
    ``value_loss`` and the environment ``steps`` so far."""

    def step(s: ActorCriticState) -> dict:
        # 1. collect N episodes with the current actor
        episodes = []
        for _ in range(config.episodes):
            e = collect_episode(s.net.logits, s.env, seed=episode_seed(config.seed,
                                                                       len(s.returns)),
                                generator=s.generator, max_steps=config.max_steps)
            episodes.append(e)
            s.returns.append(float(e.rewards.sum()))
            s.steps += len(e.rewards)
        # 2. the critic on every state, V(s_t); the targets y_t and advantages A_t = y_t − V(s_t)
        logits, values = s.net(torch.cat([e.obs for e in episodes]))  # (ΣT, A), (ΣT,)
        targets = critic_targets(s.net, episodes, config.critic, config.gamma, config.n)
        advantages = (targets - values.detach()).split([len(e.rewards) for e in episodes])
        # 3. L = actor's policy-gradient loss + c_V × the critic's mean squared error
        value_loss = (targets - values).square().mean()
        loss = policy_gradient_loss(s.net.logits, episodes, list(advantages), logits=logits) \
            + config.value_coef * value_loss
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        return {"episode_return": sum(s.returns[-config.episodes:]) / config.episodes,
                "value_loss": value_loss.item(), "steps": s.steps}

    return step
