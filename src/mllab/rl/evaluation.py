r"""Evaluating an agent: the returns of many fresh episodes, not a lucky few (ten episodes of a
CartPole agent can pass 475 by chance where a hundred do not).

Episode :math:`k` starts from ``env.reset(seed=episode_seed(seed, k))``, so two agents
evaluated with the same ``seed`` face the same starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from mllab.config import require_int
from mllab.train.loop import episode_seed

__all__ = ["deterministic", "evaluate", "greedy", "sampled"]

Act = Callable[[Tensor], Any]
r"""An observation ``(obs,)`` to an action: an ``int`` for discrete actions, a numpy array
``(A,)`` for continuous ones."""


def greedy(q: nn.Module) -> Act:
    r""":math:`\arg\max_a Q(s, a)` of a network of action values (or logits)."""
    return lambda obs: int(q(obs[None]).argmax())


def sampled(logits: nn.Module, generator: torch.Generator) -> Act:
    r""":math:`a \sim \pi(\cdot|s) = \mathrm{softmax}(\text{logits}(s))`, drawn from
    ``generator``."""
    return lambda obs: int(torch.multinomial(torch.softmax(logits(obs[None]), -1), 1,
                                             generator=generator))


def deterministic(actor: nn.Module) -> Act:
    r""":math:`a = \mu(s)` of a deterministic actor ``(B, obs) -> (B, A)`` with continuous
    actions, as a numpy array ``(A,)``."""
    return lambda obs: actor(obs[None])[0].detach().numpy()


@torch.no_grad()
def evaluate(act: Act, env: Any, *, seed: int, episodes: int, max_steps: int = 500) -> Tensor:
    r"""The returns ``(episodes,)`` of ``act`` over fresh episodes, each cut at ``max_steps``."""
    require_int("episodes", episodes, 1)
    returns = torch.zeros(episodes, dtype=torch.float64)
    for k in range(episodes):
        obs, _ = env.reset(seed=episode_seed(seed, k))
        for _ in range(max_steps):
            obs, r, terminated, truncated, _ = env.step(act(torch.as_tensor(obs,
                                                                            dtype=torch.float32)))
            returns[k] += float(r)
            if terminated or truncated:
                break
    return returns
