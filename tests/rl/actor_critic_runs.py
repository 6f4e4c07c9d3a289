"""A2C on CartPole, tiny: the run that ``tests/resume_runs.py`` kills with SIGKILL and resumes
(``test_actor_critic.py``)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.rl import ActorCritic, ActorCriticConfig, ActorCriticState, actor_critic_step
from mllab.train import seed_everything

SEED = 6


def run() -> tuple[ActorCriticState, Callable]:
    import gymnasium as gym

    seed_everything(SEED)
    net = ActorCritic(4, 2, hidden=16)
    state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=1e-2),
                             generator=torch.Generator().manual_seed(SEED),
                             env=gym.make("CartPole-v1"))
    return state, actor_critic_step(ActorCriticConfig(critic="td", seed=SEED, episodes=2,
                                                      max_steps=60))
