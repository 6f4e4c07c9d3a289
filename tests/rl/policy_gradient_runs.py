"""Policy gradient (version 3) on CartPole, tiny: the run that ``tests/resume_runs.py`` kills
with SIGKILL and resumes (``test_policy_gradient.py``)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mllab.rl import PolicyGradientConfig, PolicyGradientState, policy_gradient_step
from mllab.train import seed_everything

SEED = 4


def run() -> tuple[PolicyGradientState, Callable]:
    import gymnasium as gym

    seed_everything(SEED)
    policy = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))
    state = PolicyGradientState(policy=policy,
                                optimizer=torch.optim.Adam(policy.parameters(), lr=1e-2),
                                generator=torch.Generator().manual_seed(SEED),
                                env=gym.make("CartPole-v1"))
    return state, policy_gradient_step(PolicyGradientConfig(version=3, seed=SEED, episodes=2,
                                                            max_steps=60))
