r"""Proximal policy optimisation (Schulman et al., arXiv:1707.06347, Algorithm 1) on the general
loop: one step collects a batch of whole episodes with :math:`\pi_{\theta_\text{old}}`, then
reuses it for ``epochs`` passes of minibatch updates, each sample weighted by the importance
weight :math:`r_t(\theta) = \pi_\theta(a_t|s_t) / \pi_{\theta_\text{old}}(a_t|s_t)`.

The actor and the critic share a trunk (:class:`mllab.rl.ActorCritic`); the learner's state
is actor-critic's (:class:`mllab.rl.ActorCriticState`). The advantages
:math:`\hat A_t` are GAE's (:func:`mllab.rl.gae`) from :math:`V_{\theta_\text{old}}`,
normalised per minibatch; the loss of a minibatch is

.. math:: L = L^{\text{actor}}\big(r_t(\theta), \hat A_t\big)
    + c_V \, \hat{\mathbb E}_t\big[(\hat A_t + V_{\theta_\text{old}}(s_t) - V_\theta(s_t))^2\big],

with :math:`L^{\text{actor}}` one of (``objective``):

- ``"clip"``: PPO's clipped surrogate, Eq. 7 (:func:`mllab.rl.ppo_clip_loss`);
- ``"kl"``: the KL-penalised surrogate with a fixed :math:`\beta`, Eq. 8
  (:func:`mllab.rl.ppo_kl_loss`; the paper's adaptive :math:`\beta` is left out);
- ``"importance"``: importance sampling alone, :math:`-\hat{\mathbb E}_t[r_t \hat A_t]`
  (:func:`mllab.rl.importance_sampling_loss`): nothing keeps :math:`\theta` near
  :math:`\theta_\text{old}`.

With ``epochs = 1`` and one minibatch the batch is used once and :math:`r_t = 1`: all three are
the on-policy policy gradient. The step logs how far the learner moved from the policy that
collected the data: the mean :math:`\mathrm{KL}[\pi_{\theta_\text{old}} \| \pi_\theta]` over
the batch's states after the update, and the share of samples whose ratio left
:math:`[1 - \epsilon, 1 + \epsilon]`.

Each episode starts from its derived reset seed and minibatches are drawn from the state's
generator, so a run killed at a step boundary resumes bitwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.config import require, require_int
from mllab.rl.actor_critic import ActorCritic, ActorCriticState
from mllab.rl.gae import gae
from mllab.rl.policy_gradient import Episode, collect_episode
from mllab.rl.ppo_loss import (
    importance_sampling_loss,
    importance_weights,
    ppo_clip_loss,
    ppo_kl_loss,
)
from mllab.train.loop import Step, episode_seed

__all__ = ["OBJECTIVES", "PPOConfig", "categorical_kl", "gae_targets", "ppo_step"]

OBJECTIVES = ("clip", "kl", "importance")


@dataclass(frozen=True)
class PPOConfig:
    r"""One PPO learner."""

    seed: int
    """The run's seed, from which each episode's reset seed derives."""
    objective: str = "clip"
    """The actor's loss: ``"clip"`` (Eq. 7), ``"kl"`` (Eq. 8) or ``"importance"``."""
    rollout_steps: int = 256
    """Environment steps per batch at least: episodes are collected whole until there are this
    many (>= 1)."""
    epochs: int = 10
    """Passes over each batch, :math:`K` (>= 1)."""
    minibatch_size: int = 64
    r"""Samples per update, about (>= 1): a batch of :math:`N` samples is split into
    :math:`\max(1, \mathrm{round}(N / M))` near-equal minibatches (:math:`M` this size), as
    whole episodes make :math:`N` overshoot ``rollout_steps`` (a fixed size would leave a
    small remainder minibatch, an extra update, in every pass)."""
    gamma: float = 0.99
    r""":math:`\gamma` in [0, 1]."""
    lam: float = 0.95
    r"""GAE's :math:`\lambda` in [0, 1]."""
    clip: float = 0.2
    r""":math:`\epsilon` of Eq. 7 (> 0); also the band the logged clip fraction counts."""
    beta: float = 1.0
    r""":math:`\beta` of Eq. 8 (>= 0)."""
    value_coef: float = 0.5
    r""":math:`c_V`, the critic's weight in the loss (>= 0)."""
    max_steps: int = 500
    """An episode is cut after this many steps (>= 1)."""

    def __post_init__(self) -> None:
        require(self.objective in OBJECTIVES, "objective", "one of clip, kl, importance",
                self.objective)
        for name in ("rollout_steps", "epochs", "minibatch_size", "max_steps"):
            require_int(name, getattr(self, name), 1)
        require(0 <= self.gamma <= 1, "gamma", "in [0, 1]", self.gamma)
        require(0 <= self.lam <= 1, "lam", "in [0, 1]", self.lam)
        require(self.clip > 0, "clip", "> 0", self.clip)
        require(self.beta >= 0, "beta", ">= 0", self.beta)
        require(self.value_coef >= 0, "value_coef", ">= 0", self.value_coef)


@torch.no_grad()
def gae_targets(net: ActorCritic, episodes: list[Episode], gamma: float,
                lam: float) -> tuple[Tensor, Tensor]:
    r"""GAE's advantages and the critic's targets over the episodes' steps, ``(ΣT,)`` each:
    nothing after a terminal step, :math:`V` of ``last_obs`` after a cut one."""
    advantages, targets = [], []
    for e in episodes:
        values = net(torch.cat([e.obs, e.last_obs[None]]))[1]  # V(s_0) .. V(s_T), (T + 1,)
        ended = torch.zeros(len(e.rewards))
        ended[-1] = float(e.terminated)
        a, y = gae(e.rewards, values[:-1], values[-1], ended, gamma, lam)
        advantages.append(a)
        targets.append(y)
    return torch.cat(advantages), torch.cat(targets)


def categorical_kl(log_p_old: Tensor, log_p: Tensor) -> Tensor:
    r""":math:`\mathrm{KL}[\pi_{\theta_\text{old}}(\cdot|s) \| \pi_\theta(\cdot|s)] =
    \sum_a \pi_{\theta_\text{old}}(a|s) (\log \pi_{\theta_\text{old}}(a|s) -
    \log \pi_\theta(a|s))` per state, from log-probabilities ``(B, actions)``."""
    return (log_p_old.exp() * (log_p_old - log_p)).sum(-1)


def _actor_loss(config: PPOConfig, ratio: Tensor, A: Tensor, log_p_old: Tensor,
                log_p: Tensor) -> Tensor:
    if config.objective == "clip":
        return ppo_clip_loss(ratio, A, config.clip)
    if config.objective == "kl":
        return ppo_kl_loss(ratio, A, categorical_kl(log_p_old, log_p), config.beta)
    return importance_sampling_loss(ratio, A)


def ppo_step(config: PPOConfig) -> Step:
    r"""One batch collected, then ``epochs`` passes of minibatch updates; logs the batch's mean
    ``episode_return``, the environment ``steps`` so far, the ``kl`` and ``clip_fraction``
    after the update and the last ``value_loss``."""

    def step(s: ActorCriticState) -> dict:
        # 1. collect whole episodes with π_θold until the batch has rollout_steps steps
        episodes, first = [], len(s.returns)
        while sum(len(e.rewards) for e in episodes) < config.rollout_steps:
            e = collect_episode(s.net.logits, s.env, seed=episode_seed(config.seed,
                                                                       len(s.returns)),
                                generator=s.generator, max_steps=config.max_steps)
            episodes.append(e)
            s.returns.append(float(e.rewards.sum()))
            s.steps += len(e.rewards)
        obs = torch.cat([e.obs for e in episodes])  # (N, obs)
        actions = torch.cat([e.actions for e in episodes])[:, None]  # (N, 1)
        # 2. π_θold's log-probabilities, GAE's advantages and the critic's targets, held fixed
        with torch.no_grad():
            log_p_old = F.log_softmax(s.net.logits(obs), -1)  # (N, actions)
        advantages, targets = gae_targets(s.net, episodes, config.gamma, config.lam)
        # 3. K epochs over the batch in shuffled, near-equal minibatches
        M = config.minibatch_size
        minibatches = max(1, (len(obs) + M // 2) // M)  # round(N / M), at least 1
        for _ in range(config.epochs):
            for i in torch.randperm(len(obs), generator=s.generator).tensor_split(minibatches):
                logits, values = s.net(obs[i])
                log_p = F.log_softmax(logits, -1)
                ratio = importance_weights(log_p.gather(1, actions[i]).squeeze(1),
                                           log_p_old[i].gather(1, actions[i]).squeeze(1))
                A = advantages[i]
                if len(i) > 1:
                    A = (A - A.mean()) / (A.std() + 1e-8)
                value_loss = (targets[i] - values).square().mean()
                loss = _actor_loss(config, ratio, A, log_p_old[i], log_p) \
                    + config.value_coef * value_loss
                s.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                s.optimizer.step()
        # 4. how far the update moved the learner from the policy that collected the batch
        with torch.no_grad():
            log_p = F.log_softmax(s.net.logits(obs), -1)
            kl = categorical_kl(log_p_old, log_p).mean()
            ratio = (log_p - log_p_old).gather(1, actions).exp()
            clipped = ((ratio - 1).abs() > config.clip).float().mean()
        return {"episode_return": sum(s.returns[first:]) / len(episodes), "steps": s.steps,
                "kl": kl.item(), "clip_fraction": clipped.item(),
                "value_loss": value_loss.item()}

    return step
