"""Evaluation over fresh episodes: the greedy, sampled and deterministic policies by hand,
the cap on an episode's length, the same starts for the same seed, and every environment the
lecture uses installed and repeatable."""

import numpy as np
import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.rl import deterministic, evaluate, greedy, sampled


class Corridor:
    """Reward 1 a step; action 0 ends the episode at once; the start is the reset seed."""

    def reset(self, *, seed):
        self.start = seed
        return np.zeros(4, np.float32), {}

    def step(self, a):
        return np.zeros(4, np.float32), 1.0, a == 0, False, {}


def _net(bias):
    net = nn.Linear(4, 2)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.copy_(torch.tensor(bias))
    return net


def test_greedy_follows_the_argmax_and_episodes_stop_at_the_cap():
    assert evaluate(greedy(_net([0.0, 1.0])), Corridor(), seed=0, episodes=3,
                    max_steps=7).tolist() == [7.0] * 3
    assert evaluate(greedy(_net([1.0, 0.0])), Corridor(), seed=0, episodes=2).tolist() == [1, 1]


def test_sampled_returns_are_geometric():
    # P(action 0) = 1 / (1 + e): an episode lasts k steps with probability (1 - p)^(k-1) p
    p = 1 / (1 + np.e)
    returns = evaluate(sampled(_net([0.0, 1.0]), torch.Generator().manual_seed(0)), Corridor(),
                       seed=0, episodes=4000, max_steps=1000)
    assert returns.mean().item() == pytest.approx(1 / p, rel=0.05)


def test_the_same_seed_gives_the_same_starts():
    seen = []

    class Recorder(Corridor):
        def reset(self, *, seed):
            seen.append(seed)
            return super().reset(seed=seed)

    for _ in range(2):
        evaluate(greedy(_net([1.0, 0.0])), Recorder(), seed=5, episodes=3)
    assert seen[:3] == seen[3:] and len(set(seen[:3])) == 3


def test_bad_episodes_names_the_range():
    with pytest.raises(ConfigError, match="episodes must be an integer >= 1"):
        evaluate(greedy(_net([1.0, 0.0])), Corridor(), seed=0, episodes=0)


def test_a_deterministic_policy_gives_its_actions_as_numpy():
    actor = nn.Linear(3, 2)
    obs = torch.randn(3)
    assert np.array_equal(deterministic(actor)(obs), actor(obs).detach().numpy())


@pytest.mark.parametrize("name", ["CartPole-v1", "Acrobot-v1", "LunarLander-v3",
                                  "CliffWalking-v1", "FrozenLake-v1", "Pendulum-v1"])
def test_every_environment_of_the_lecture_is_installed_and_repeatable(name):
    import gymnasium as gym

    env = gym.make(name)

    def random_policy(seed):
        env.action_space.seed(seed)
        return lambda obs: env.action_space.sample()

    first = evaluate(random_policy(0), env, seed=3, episodes=3, max_steps=50)
    again = evaluate(random_policy(0), env, seed=3, episodes=3, max_steps=50)
    assert torch.equal(first, again)
