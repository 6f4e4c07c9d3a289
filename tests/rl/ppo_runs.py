"""PPO on CartPole, tiny (batches of 40 steps, 2 epochs of minibatches of 16): the run that
``tests/resume_runs.py`` kills with SIGKILL and resumes (``test_ppo.py``)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.rl import ActorCritic, ActorCriticState, PPOConfig, ppo_step
from mllab.train import seed_everything

SEED = 9


def run() -> tuple[ActorCriticState, Callable]:
    import gymnasium as gym

    seed_everything(SEED)
    net = ActorCritic(4, 2, hidden=16)
    state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=1e-3),
                     generator=torch.Generator().manual_seed(SEED), env=gym.make("CartPole-v1"))
    return state, ppo_step(PPOConfig(seed=SEED, rollout_steps=40, epochs=2, minibatch_size=16,
                                     max_steps=60))
