"""GAE and the TD target: against stable-baselines3's RolloutBuffer on rollouts of several
environments with episode ends, and the two limits lambda = 0 (the TD residual) and
lambda = 1 (the Monte Carlo return minus V)."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.buffers import RolloutBuffer

from mllab.rl import discounted_returns, gae, td_target

T, E = 12, 3


def _rollout(seed=0):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(T, E, generator=g, dtype=torch.float64)
    values = torch.randn(T, E, generator=g, dtype=torch.float64)
    last = torch.randn(E, generator=g, dtype=torch.float64)
    terminated = (torch.rand(T, E, generator=g) < 0.2).double()
    return rewards, values, last, terminated


@pytest.mark.parametrize(("gamma", "lam"), [(0.99, 0.95), (0.9, 0.0), (1.0, 1.0)])
def test_same_as_stable_baselines3(gamma, lam):
    rewards, values, last, terminated = _rollout()
    buf = RolloutBuffer(T, gym.spaces.Box(-1, 1, (1,)), gym.spaces.Discrete(2), device="cpu",
                        gae_lambda=lam, gamma=gamma, n_envs=E)
    # sb3 marks the first step of an episode; mllab the last: starts[t + 1] = terminated[t]
    starts = torch.cat([torch.zeros(1, E, dtype=torch.float64), terminated[:-1]])
    for t in range(T):
        buf.add(np.zeros((E, 1), np.float32), np.zeros((E, 1)), rewards[t].numpy(),
                starts[t].numpy(), values[t], torch.zeros(E))
    buf.compute_returns_and_advantage(last, terminated[-1].numpy())
    adv, ret = gae(rewards, values, last, terminated, gamma, lam)
    # sb3 stores float32
    np.testing.assert_allclose(adv.numpy(), buf.advantages, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ret.numpy(), buf.returns, rtol=1e-5, atol=1e-5)


def test_lambda_zero_is_the_td_residual():
    rewards, values, last, terminated = _rollout(1)
    adv, _ = gae(rewards, values, last, terminated, 0.9, 0.0)
    next_values = torch.cat([values[1:], last[None]])
    assert torch.allclose(adv, td_target(rewards, next_values, terminated, 0.9) - values,
                          rtol=0, atol=1e-14)


def test_lambda_one_on_one_whole_episode_is_the_return_minus_v():
    rewards = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    values = torch.tensor([0.3, 0.1, -0.4, 2.0], dtype=torch.float64)
    terminated = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    adv, ret = gae(rewards, values, torch.tensor(9.0, dtype=torch.float64), terminated, 0.8, 1.0)
    assert torch.allclose(ret, discounted_returns(rewards, 0.8), rtol=0, atol=1e-14)
    assert torch.allclose(adv, discounted_returns(rewards, 0.8) - values, rtol=0, atol=1e-14)


def test_td_target_by_hand():
    y = td_target(torch.tensor([1.0, 2.0]), torch.tensor([10.0, 10.0]), torch.tensor([0, 1]), 0.5)
    assert y.tolist() == [6.0, 2.0]
