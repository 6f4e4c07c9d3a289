"""DDPG on the pendulum, tiny (episodes cut at 50 steps, networks of 16 units, updates from
step 32): the run that ``tests/resume_runs.py`` kills with SIGKILL and resumes
(``test_ddpg.py``); checkpoints only between episodes."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.rl import (
    DDPGConfig,
    DDPGState,
    DeterministicActor,
    QCritic,
    between_episodes,
    ddpg_step,
    target_copy,
)
from mllab.train import seed_everything

SEED = 9
boundary = between_episodes


def run() -> tuple[DDPGState, Callable]:
    import gymnasium as gym

    seed_everything(SEED)
    env = gym.make("Pendulum-v1", max_episode_steps=50)
    actor = DeterministicActor(3, torch.as_tensor(env.action_space.low),
                               torch.as_tensor(env.action_space.high), hidden=(16,))
    critic = QCritic(3, 1, hidden=(16,))
    state = DDPGState(actor=actor, critic=critic, actor_target=target_copy(actor),
                      critic_target=target_copy(critic),
                      actor_optimizer=torch.optim.Adam(actor.parameters(), lr=1e-3),
                      critic_optimizer=torch.optim.Adam(critic.parameters(), lr=1e-3),
                      generator=torch.Generator().manual_seed(SEED), env=env)
    return state, ddpg_step(DDPGConfig(seed=SEED, batch_size=16, capacity=100,
                                       learning_starts=32))
