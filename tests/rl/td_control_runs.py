"""Tabular SARSA on slippery FrozenLake (the environment's own random moves, seeded at each
reset), tiny: the run that ``tests/resume_runs.py`` kills with SIGKILL and resumes
(``test_td_control.py``)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.rl import TDControlConfig, TDControlState, td_control_step

SEED = 5


def make_state(method: str = "sarsa") -> tuple[TDControlState, TDControlConfig]:
    import gymnasium as gym

    env = gym.make("FrozenLake-v1", is_slippery=True)
    state = TDControlState(Q=torch.zeros(16, 4, dtype=torch.float64),
                           generator=torch.Generator().manual_seed(SEED), env=env)
    return state, TDControlConfig(method=method, seed=SEED, alpha=0.1, epsilon=0.2, gamma=0.95)


def run() -> tuple[TDControlState, Callable]:
    state, config = make_state()
    return state, td_control_step(config)
