r"""Time and environment steps to solve CartPole-v1: mllab's PPO (:func:`mllab.rl.ppo_step`)
against stable-baselines3's PPO with RL-Zoo's hyper-parameters, side by side in one process,
1 torch thread, one seed after the other, the order flipped every seed.

Solved: the mean return of 100 fresh evaluation episodes of the greedy policy is at least
475. Both agents are checked the same way after each update: when the mean return of their
last 10 training episodes reaches 475, :func:`mllab.rl.evaluate` plays the 100 episodes
(the same starts for both; the evaluation's time is not counted). A run that has not solved
CartPole after ``--budget`` environment steps (RL-Zoo's 100,000) counts as unsolved, its time
infinite.

The hyper-parameters are RL-Zoo's for PPO on CartPole-v1 (``hyperparams/ppo.yml``): 8
environments × 32 steps per rollout, minibatches of 256, 20 epochs, :math:`\gamma` = 0.98,
:math:`\lambda` = 0.8, no entropy bonus, learning rate 1e-3 and clip 0.2, both falling
linearly to 0 in stable-baselines3. mllab's agent uses the same values where they apply:
batches of at least 256 steps of whole episodes from one environment, minibatches of 256,
20 epochs, the same :math:`\gamma`, :math:`\lambda`, learning rate and clip, held constant,
and an :class:`mllab.rl.ActorCritic` whose critic has a trunk of its own (two tanh layers of
64 each, as stable-baselines3's two separate networks). With the trunk shared, a first run
needed about three times the environment steps (median 76,438 against 26,376; ratio 1.959).

Before timing, the script checks that mllab's GAE equals stable-baselines3's
``RolloutBuffer.compute_returns_and_advantage`` on a random rollout.

Prints one line per seed and side, the medians over the seeds, and last
``ratio mllab/stable-baselines3`` of the median wall times.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

from mllab.rl import ActorCritic, ActorCriticState, PPOConfig, evaluate, gae, greedy, ppo_step
from mllab.train import seed_everything
from timing import flipped

SOLVED, WINDOW, EVAL_EPISODES = 475.0, 10, 100


def check_gae() -> tuple[float, float]:
    r"""The largest difference of mllab's GAE from stable-baselines3's on a random rollout, and
    the largest advantage."""
    T, E, g = 32, 8, torch.Generator().manual_seed(0)
    rewards, values = torch.rand(T, E, generator=g), torch.randn(T, E, generator=g)
    starts = (torch.rand(T, E, generator=g) < 0.1).float()  # 1 where an episode begins at t
    last_value, last_done = torch.randn(E, generator=g), torch.zeros(E)
    space = gym.make("CartPole-v1")
    buffer = RolloutBuffer(T, space.observation_space, space.action_space, gamma=0.98,
                           gae_lambda=0.8, n_envs=E)
    for t in range(T):
        buffer.add(np.zeros((E, 4), np.float32), np.zeros((E, 1)), rewards[t].numpy(),
                   starts[t].numpy(), values[t], torch.zeros(E))
    buffer.compute_returns_and_advantage(last_value, last_done.numpy())
    ended = torch.cat([starts[1:], last_done[None]])  # the episode ends after t
    advantages, _ = gae(rewards, values, last_value, ended, 0.98, 0.8)
    difference = (advantages - torch.as_tensor(buffer.advantages)).abs().max()
    return float(difference), float(advantages.abs().max())


def solved(act, seed: int) -> bool:
    env = gym.make("CartPole-v1")
    return evaluate(act, env, seed=seed, episodes=EVAL_EPISODES).mean().item() >= SOLVED


def run_mllab(seed: int, budget: int) -> tuple[float, int]:
    seed_everything(seed)
    net = ActorCritic(4, 2, hidden=64, shared=False)
    state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=1e-3),
                     generator=torch.Generator().manual_seed(seed), env=gym.make("CartPole-v1"))
    step = ppo_step(PPOConfig(seed=seed, rollout_steps=256, epochs=20, minibatch_size=256,
                              gamma=0.98, lam=0.8, clip=0.2))
    clock = 0.0
    while state.steps < budget:
        start = time.perf_counter()
        step(state)
        clock += time.perf_counter() - start
        recent = state.returns[-WINDOW:]
        if len(recent) == WINDOW and sum(recent) / WINDOW >= SOLVED and \
                solved(greedy(net.logits), seed + 10_000):
            return clock, state.steps
    return math.inf, state.steps


class _Solved(BaseCallback):
    r"""After each update (at the next rollout's start): the same check as mllab's; stops the
    training once solved and keeps the evaluation's time apart."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed, self.done, self.evaluating = seed, False, 0.0

    def _on_rollout_start(self) -> None:
        recent = [info["r"] for info in list(self.model.ep_info_buffer)[-WINDOW:]]
        if len(recent) == WINDOW and sum(recent) / WINDOW >= SOLVED:
            start = time.perf_counter()
            policy = self.model.policy
            self.done = solved(lambda obs: int(policy._predict(obs[None], deterministic=True)),
                               self.seed + 10_000)
            self.evaluating += time.perf_counter() - start

    def _on_step(self) -> bool:
        return not self.done


def run_sb3(seed: int, budget: int) -> tuple[float, int]:
    def linear(start: float):
        return lambda progress_remaining: progress_remaining * start

    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
                n_epochs=20, ent_coef=0.0, learning_rate=linear(1e-3), clip_range=linear(0.2),
                device="cpu", seed=seed, verbose=0)
    callback = _Solved(seed)
    start = time.perf_counter()
    model.learn(total_timesteps=budget, callback=callback)
    clock = time.perf_counter() - start - callback.evaluating
    return (clock if callback.done else math.inf), model.num_timesteps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    difference, scale = check_gae()
    print(f"GAE, largest difference from stable-baselines3's: {difference:.2e} (advantages up "
          f"to {scale:.2f})")
    sides = {"mllab": run_mllab, "stable-baselines3": run_sb3}
    seconds: dict[str, list[float]] = {k: [] for k in sides}
    steps: dict[str, list[int]] = {k: [] for k in sides}
    for seed in range(args.seeds):
        for name in flipped(sides, seed):
            secs, n = sides[name](seed, args.budget)
            seconds[name].append(secs)
            steps[name].append(n)
            print(f"seed {seed} {name:>17}: {secs:7.2f} s, {n:6d} environment steps"
                  + ("" if math.isfinite(secs) else " (not solved)"), flush=True)
    for name in sides:
        print(f"{name:>17}: median {statistics.median(seconds[name]):.2f} s, "
              f"{statistics.median(steps[name]):.0f} environment steps, solved "
              f"{sum(map(math.isfinite, seconds[name]))}/{args.seeds}")
    ratio = statistics.median(seconds["mllab"]) / statistics.median(seconds["stable-baselines3"])
    print(f"ratio mllab/stable-baselines3: {ratio:.3f}")


if __name__ == "__main__":
    main()
