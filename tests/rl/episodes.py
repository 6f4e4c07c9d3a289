"""Two hand-made episodes (one that terminates, one cut short) and an environment that plays
the first back, for the actor-critic and PPO tests."""

import torch

from mllab.rl import Episode


def two_episodes():
    g = torch.Generator().manual_seed(0)
    ended = Episode(torch.randn(3, 4, generator=g), torch.tensor([0, 1, 0]),
                    torch.tensor([1.0, 2.0, 3.0]), torch.randn(4, generator=g), True)
    cut = Episode(torch.randn(2, 4, generator=g), torch.tensor([1, 1]),
                  torch.tensor([1.0, 1.0]), torch.randn(4, generator=g), False)
    return [ended, cut]


class Replay:
    """Plays back the first of :func:`two_episodes`: its observations, whatever the actions."""

    def __init__(self, episode):
        self.e = episode

    def reset(self, *, seed):
        self.t = 0
        return self.e.obs[0].numpy(), {}

    def step(self, a):
        self.t += 1
        done = self.t == len(self.e.rewards)
        obs = self.e.last_obs if done else self.e.obs[self.t]
        return obs.numpy(), float(self.e.rewards[self.t - 1]), done, False, {}
