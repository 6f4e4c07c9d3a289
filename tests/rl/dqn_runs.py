"""DQN on CartPole, tiny (updates from step 32, the target refreshed every 25 steps): the run
that ``tests/resume_runs.py`` kills with SIGKILL and resumes (``test_dqn.py``); checkpoints
only between episodes."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mllab.rl import DQNConfig, DQNState, between_episodes, dqn_step, target_copy
from mllab.train import seed_everything

SEED = 8
boundary = between_episodes


def run() -> tuple[DQNState, Callable]:
    import gymnasium as gym

    seed_everything(SEED)
    q = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    state = DQNState(q=q, target=target_copy(q),
                     optimizer=torch.optim.Adam(q.parameters(), lr=1e-3),
                     generator=torch.Generator().manual_seed(SEED), env=gym.make("CartPole-v1"))
    return state, dqn_step(DQNConfig(seed=SEED, batch_size=16, capacity=100,
                                     learning_starts=32, target_every=25, explore_steps=100))
