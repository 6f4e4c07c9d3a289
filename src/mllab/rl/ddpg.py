r"""Deep deterministic policy gradient (DDPG, Lillicrap et al., arXiv:1509.02971): Q-learning
for continuous actions, with a deterministic actor :math:`\mu_\phi(s)` in place of DQN's
:math:`\arg\max_a`, a replay memory and slowly following target networks; one environment
step and one update a step of the general loop.

Each step: act with :math:`\mu_\phi(s)` plus exploration noise, store
:math:`(s, a, r, s', d)`, then, on a batch drawn uniformly from the replay memory
(Algorithm 1 of the paper),

1. the critic :math:`Q_\theta` regresses on the target networks' bootstrap

   .. math:: y = r + \gamma (1 - d)\, Q_{\theta'}(s', \mu_{\phi'}(s')), \qquad
       L(\theta) = \frac1B \sum_i \big(Q_\theta(s_i, a_i) - y_i\big)^2;

2. the actor climbs the (just updated) critic, the deterministic policy gradient
   :math:`\nabla_\phi J \approx \frac1B \sum_i \nabla_a Q_\theta(s_i, a)|_{a = \mu_\phi(s_i)}
   \nabla_\phi \mu_\phi(s_i)`, as the loss

   .. math:: L(\phi) = -\frac1B \sum_i Q_\theta(s_i, \mu_\phi(s_i));

3. both target networks follow softly: :math:`\theta' \leftarrow \tau\theta + (1-\tau)\theta'`,
   :math:`\phi' \leftarrow \tau\phi + (1-\tau)\phi'`.

:math:`d` is 1 only where the episode terminated, not where it was cut (Pendulum's episodes
are only ever cut). Checkpoints may be taken only between episodes (DQN's
:func:`~mllab.rl.dqn.between_episodes`); each episode starts from its derived reset seed.

Differences from the paper: the exploration noise is Gaussian,
:math:`a = \mathrm{clip}(\mu_\phi(s) + \sigma c\, \varepsilon, a_{low}, a_{high})` with
:math:`\varepsilon \sim \mathcal N(0, I)` and :math:`c` the half-range of the actions, as in
TD3 (Fujimoto et al., arXiv:1802.09477) and cleanrl, instead of the paper's
Ornstein-Uhlenbeck process (TD3 found no benefit from the correlated noise; it also keeps the
state free of a noise process); the first ``learning_starts`` actions are drawn uniformly over
the action box (TD3's warm-up) rather than from the untrained actor; the action joins the
state at the critic's input (not at its second layer), without batch normalisation, with
PyTorch's default initialisation and TD3's :math:`\tau = 0.005` (the paper's is 0.001).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.rl.dqn import remember
from mllab.rl.gae import td_target
from mllab.train.loop import LoopState, Step, episode_seed, transient

__all__ = ["DDPGConfig", "DDPGState", "DeterministicActor", "QCritic", "ddpg_actor_loss",
           "ddpg_step", "ddpg_target", "soft_update", "uniform_action"]


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


class DeterministicActor(nn.Module):
    r""":math:`\mu_\phi(s) = b + c \tanh(f_\phi(s))`: observations ``(B, obs)`` to actions
    ``(B, A)`` inside the box ``[low, high]``, with :math:`c = (high - low)/2`,
    :math:`b = (high + low)/2` and :math:`f_\phi` an MLP (ReLU)."""

    def __init__(self, obs: int, low: Tensor, high: Tensor, hidden: tuple[int, ...] = (256, 256)
                 ) -> None:
        super().__init__()
        low, high = torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high,
                                                                              dtype=torch.float32)
        require(low.ndim == 1 and low.shape == high.shape and bool((low < high).all()),
                "low, high", "1-D, of one shape, low < high", (low.tolist(), high.tolist()))
        self.register_buffer("low", low)
        self.register_buffer("high", high)
        self.net = _mlp([obs, *hidden, len(low)])

    @property
    def scale(self) -> Tensor:
        r""":math:`c`, the half-range of each action ``(A,)``."""
        return (self.high - self.low) / 2

    def forward(self, obs: Tensor) -> Tensor:
        return (self.high + self.low) / 2 + self.scale * torch.tanh(self.net(obs))  # (B, A)


class QCritic(nn.Module):
    r""":math:`Q_\theta(s, a)`: an MLP (ReLU) on the concatenation ``(B, obs + A)`` to
    ``(B,)``."""

    def __init__(self, obs: int, actions: int, hidden: tuple[int, ...] = (256, 256)) -> None:
        super().__init__()
        self.net = _mlp([obs + actions, *hidden, 1])

    def forward(self, obs: Tensor, action: Tensor) -> Tensor:
        return self.net(torch.cat([obs, action], -1)).squeeze(-1)  # (B,)


def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    r""":math:`\theta' \leftarrow \tau\theta + (1 - \tau)\theta'` for every parameter, in place
    (``tau`` = 1 copies, 0 keeps); buffers are left alone."""
    require(0 <= tau <= 1, "tau", "in [0, 1]", tau)
    with torch.no_grad():
        for t, p in zip(target.parameters(), source.parameters(), strict=True):
            t.mul_(1 - tau).add_(p, alpha=tau)  # θ' ← τθ + (1-τ)θ'


def ddpg_target(reward: Tensor, next_obs: Tensor, done: Tensor, actor_target: nn.Module,
                critic_target: nn.Module, gamma: float) -> Tensor:
    r"""The critic's regression target :math:`y = r + \gamma (1 - d)\,
    Q_{\theta'}(s', \mu_{\phi'}(s'))`, ``(B,)``, without gradient."""
    with torch.no_grad():
        return td_target(reward, critic_target(next_obs, actor_target(next_obs)), done, gamma)


def ddpg_actor_loss(actor: nn.Module, critic: nn.Module, obs: Tensor) -> Tensor:
    r""":math:`L(\phi) = -\frac1B \sum_i Q_\theta(s_i, \mu_\phi(s_i))`: its gradient in
    :math:`\phi` is minus the deterministic policy gradient."""
    return -critic(obs, actor(obs)).mean()


def uniform_action(low: Tensor, high: Tensor, generator: torch.Generator) -> Tensor:
    r"""An action drawn uniformly from the box ``[low, high]`` (``(A,)``): DDPG's warm-up, and
    the random policy an agent is compared with."""
    return low + (high - low) * torch.rand(low.shape, generator=generator)


@dataclass(frozen=True)
class DDPGConfig:
    r"""One DDPG learner. The action box is the actor's (built from the environment's
    ``action_space``)."""

    seed: int
    """The run's seed, from which each episode's reset seed derives."""
    gamma: float = 0.99
    r""":math:`\gamma` in [0, 1]."""
    tau: float = 0.005
    r""":math:`\tau` of the soft target updates, in [0, 1] (TD3's; the paper's is 0.001)."""
    batch_size: int = 256
    """Transitions per update (>= 1; TD3's and cleanrl's; the paper's is 64)."""
    capacity: int = 1_000_000
    """The replay memory keeps the latest this many transitions (>= batch_size; the
    paper's)."""
    learning_starts: int = 1_000
    """Steps of uniform random actions before the first update (>= batch_size)."""
    noise_std: float = 0.1
    r""":math:`\sigma`, the exploration noise's standard deviation as a fraction of the
    actions' half-range (>= 0; TD3's and cleanrl's)."""

    def __post_init__(self) -> None:
        require(0 <= self.gamma <= 1, "gamma", "in [0, 1]", self.gamma)
        require(0 <= self.tau <= 1, "tau", "in [0, 1]", self.tau)
        require_int("batch_size", self.batch_size, 1)
        require_int("capacity", self.capacity, self.batch_size)
        require_int("learning_starts", self.learning_starts, self.batch_size)
        require(self.noise_std >= 0, "noise_std", ">= 0", self.noise_std)


@dataclass
class DDPGState(LoopState):
    r"""What a DDPG learner changes: actor, critic, their targets, the memory, the episode."""

    actor: DeterministicActor
    r""":math:`\mu_\phi`."""
    critic: nn.Module
    r""":math:`Q_\theta`: ``(obs (B, obs), action (B, A))`` to ``(B,)``."""
    actor_target: nn.Module
    r""":math:`\mu_{\phi'}` (start it as :func:`~mllab.rl.dqn.target_copy` of the actor)."""
    critic_target: nn.Module
    r""":math:`Q_{\theta'}`."""
    actor_optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws the warm-up actions, the exploration noise and the replayed batches."""
    memory: dict[str, Tensor] = field(default_factory=dict)
    """The transitions, oldest first: ``obs``, ``action``, ``reward``, ``next_obs``, ``done``."""
    obs: Tensor | None = None
    """The current observation; None between episodes."""
    episode_return: float = 0.0
    returns: list[float] = field(default_factory=list)
    """Each finished episode's return, in order (its length is the next episode's index)."""
    env: Any = transient()
    """A gymnasium environment with a continuous action box (not checkpointed)."""


def ddpg_step(config: DDPGConfig) -> Step:
    r"""One environment step and (after ``learning_starts``) one update of critic, actor and
    targets; logs the finished episode's ``episode_return``, ``critic_loss`` and
    ``actor_loss`` at episode ends."""

    def step(s: DDPGState) -> dict | None:
        t = s.step  # steps taken before this one
        low, high = s.actor.low, s.actor.high
        # 1. act: uniformly during the warm-up, then μ(s) + σc·ε clipped to the box
        if s.obs is None:
            obs, _ = s.env.reset(seed=episode_seed(config.seed, len(s.returns)))
            s.obs = torch.as_tensor(obs, dtype=torch.float32)
        if t < config.learning_starts:
            action = uniform_action(low, high, s.generator)
        else:
            with torch.no_grad():
                mu = s.actor(s.obs[None])[0]  # (A,)
            eps = torch.randn(mu.shape, generator=s.generator)
            action = torch.clamp(mu + config.noise_std * s.actor.scale * eps, low, high)
        obs, reward, terminated, truncated, _ = s.env.step(action.numpy().astype(np.float32))
        nxt = torch.as_tensor(obs, dtype=torch.float32)
        # 2. remember (s, a, r, s', d)
        remember(s.memory, {"obs": s.obs, "action": action,
                            "reward": torch.tensor(float(reward)), "next_obs": nxt,
                            "done": torch.tensor(float(terminated))}, config.capacity)
        s.episode_return += float(reward)
        s.obs = nxt
        line = None
        if t + 1 >= config.learning_starts:
            i = torch.randint(len(s.memory["done"]), (config.batch_size,), generator=s.generator)
            m = {k: v[i] for k, v in s.memory.items()}
            # 3. critic: MSE of Q(s, a) against y = r + γ(1-d) Q'(s', μ'(s'))
            y = ddpg_target(m["reward"], m["next_obs"], m["done"], s.actor_target,
                            s.critic_target, config.gamma)
            critic_loss = F.mse_loss(s.critic(m["obs"], m["action"]), y)
            s.critic_optimizer.zero_grad(set_to_none=True)
            critic_loss.backward()
            s.critic_optimizer.step()
            # 4. actor: -Q(s, μ(s)) on the updated critic (the deterministic policy gradient)
            actor_loss = ddpg_actor_loss(s.actor, s.critic, m["obs"])
            s.actor_optimizer.zero_grad(set_to_none=True)
            actor_loss.backward()
            s.actor_optimizer.step()
            # 5. targets follow: θ' ← τθ + (1-τ)θ', φ' ← τφ + (1-τ)φ'
            soft_update(s.critic_target, s.critic, config.tau)
            soft_update(s.actor_target, s.actor, config.tau)
            line = {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}
        if terminated or truncated:
            s.returns.append(s.episode_return)
            s.obs, s.episode_return = None, 0.0
            return {**(line or {}), "episode_return": s.returns[-1]}
        return None

    return step
