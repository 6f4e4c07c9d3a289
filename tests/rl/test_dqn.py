"""DQN on the general loop: one update is the Huber TD step written out (with the target
network, and with the online one when it is off; replayed or the latest transitions), the
memory keeps the latest transitions, the target network is refreshed on schedule and only
then, and a run killed with SIGKILL and resumed ends bitwise identical."""

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mllab.config import ConfigError
from mllab.rl import DQNConfig, DQNState, between_episodes, dqn_step, target_copy
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import dqn_runs  # noqa: E402

import resume_runs  # noqa: E402


class Line:
    """Positions 0..4 as one-hot observations; action 1 right, 0 left; reward 1 at 4, which
    terminates; an episode is cut after 6 moves."""

    def reset(self, *, seed):
        self.p, self.t = 0, 0
        return np.eye(5, dtype=np.float32)[0], {}

    def step(self, a):
        self.p, self.t = min(max(self.p + (1 if a == 1 else -1), 0), 4), self.t + 1
        return np.eye(5, dtype=np.float32)[self.p], float(self.p == 4), self.p == 4, self.t >= 6, {}


def _state(seed=0):
    torch.manual_seed(seed)
    q = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    return DQNState(q=q, target=target_copy(q), optimizer=torch.optim.SGD(q.parameters(), lr=0.5),
                    generator=torch.Generator().manual_seed(seed), env=Line())


@pytest.mark.parametrize(("replay", "target"), [(True, True), (False, False), (True, False)])
def test_one_update_is_the_huber_td_step_written_out(replay, target):
    state = _state()
    config = DQNConfig(seed=0, replay=replay, target=target, gamma=0.9, batch_size=3,
                       learning_starts=3, target_every=1000, explore_steps=10)
    step = dqn_step(config)
    for _ in range(2):  # two moves, no update yet (the loop counts the steps)
        step(state)
        state.step += 1
    q_before, frozen = copy.deepcopy(state.q), copy.deepcopy(state.target)
    g = copy.deepcopy(state.generator)
    step(state)  # the third move, then the first update
    # the step's draws again: ε-greedy's coin (ε = 1 - 0.95 · 2 / 10 at step 2), the random
    # action if the coin fell under ε, then the replayed batch
    if float(torch.rand((), generator=g)) < 1 - 0.95 * 2 / 10:
        torch.randint(2, (), generator=g)
    m = state.memory
    i = torch.randint(3, (3,), generator=g) if replay else torch.arange(3)
    expected = copy.deepcopy(q_before)
    bootstrap = frozen if target else q_before
    with torch.no_grad():
        y = m["reward"][i] + 0.9 * (1 - m["done"][i]) * bootstrap(m["next_obs"][i]).amax(1)
    q = expected(m["obs"][i]).gather(1, m["action"][i, None]).squeeze(1)
    F.smooth_l1_loss(q, y).backward()
    torch.optim.SGD(expected.parameters(), lr=0.5).step()
    for p, e in zip(state.q.parameters(), expected.parameters(), strict=True):
        assert torch.allclose(p, e, rtol=0, atol=1e-7)
    for p, e in zip(state.target.parameters(), frozen.parameters(), strict=True):
        assert torch.equal(p, e)  # not refreshed before target_every


def test_memory_keeps_the_latest_transitions_and_the_target_follows_on_schedule():
    state = _state(1)
    config = DQNConfig(seed=0, batch_size=2, capacity=5, learning_starts=2, target_every=4,
                       explore_steps=5)
    run_loop(dqn_step(config), state, LoopConfig(steps=12), boundary=between_episodes)
    assert len(state.memory["action"]) == 5
    assert state.memory["obs"].shape == (5, 5) and state.memory["done"].shape == (5,)
    # the last refresh was after step 12 (a multiple of 4): the copy equals θ now
    for p, t in zip(state.q.parameters(), state.target.parameters(), strict=True):
        assert torch.equal(p, t) and not t.requires_grad


def test_bad_settings_name_the_range():
    with pytest.raises(ConfigError, match="capacity must be an integer >= 64"):
        DQNConfig(seed=0, capacity=10)


def test_killed_and_resumed_run_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(dqn_runs.__file__), tmp_path, steps=150)
