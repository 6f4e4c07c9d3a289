"""Tabular SARSA and Q-learning: epsilon-greedy draws what it says, one episode's updates are
the textbook's by hand, both learn the values of a small chain (a closed form), and a run
killed with SIGKILL and resumed ends bitwise identical."""

import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.rl import TDControlConfig, TDControlState, epsilon_greedy, greedy_path, td_control_step
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import td_control_runs  # noqa: E402

import resume_runs  # noqa: E402


class Chain:
    """States 0..3 in a line, actions 0 (left) and 1 (right), deterministic; reward -1 a move,
    the episode ends on reaching 3."""

    def reset(self, *, seed):
        self.s = 0
        return 0, {}

    def step(self, a):
        self.s = min(self.s + 1, 3) if a == 1 else max(self.s - 1, 0)
        return self.s, -1.0, self.s == 3, False, {}


def test_epsilon_greedy_frequencies():
    g = torch.Generator().manual_seed(0)
    q = torch.tensor([0.0, 2.0, 2.0, -1.0])
    counts = torch.bincount(torch.tensor([epsilon_greedy(q, 0.2, g) for _ in range(20000)]),
                            minlength=4) / 20000
    expected = torch.tensor([0.05, 0.45, 0.45, 0.05])  # ties split; 0.2 / 4 each at random
    assert torch.allclose(counts, expected, atol=0.012)


@pytest.mark.parametrize("method", ["sarsa", "q_learning"])
def test_one_greedy_episode_is_the_update_by_hand(method):
    # epsilon = 0 and Q favouring "right": 0 -> 1 -> 2 -> 3, three updates with alpha = 0.5
    Q = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    state = TDControlState(Q=Q.clone(), generator=torch.Generator().manual_seed(0), env=Chain())
    config = TDControlConfig(method=method, seed=0, alpha=0.5, epsilon=0.0, gamma=0.9)
    line = td_control_step(config)(state)
    expected = Q.clone()
    for s in range(3):
        y = -1.0 + (0.0 if s == 2 else 0.9 * expected[s + 1, 1])  # greedy = taken action here
        expected[s, 1] += 0.5 * (y - expected[s, 1])
    assert torch.equal(state.Q, expected)
    assert line == {"episode_return": -3.0, "length": 3} and state.returns == [-3.0]


def _epsilon_greedy_values(epsilon: float) -> torch.Tensor:
    r""":math:`Q^\pi` of the chain for :math:`\pi` epsilon-greedy about "right", by solving
    the Bellman equations :math:`Q(s, a) = -1 + \sum_{a'} \pi(a'|s') Q(s', a')` (a linear
    system in the six values of states 0..2)."""
    pi = torch.tensor([epsilon / 2, 1 - epsilon / 2], dtype=torch.float64)
    A, b = torch.eye(6, dtype=torch.float64), -torch.ones(6, dtype=torch.float64)
    for s in range(3):
        for a in range(2):
            nxt = min(s + 1, 3) if a == 1 else max(s - 1, 0)
            if nxt < 3:
                A[2 * s + a, 2 * nxt: 2 * nxt + 2] -= pi
    return torch.linalg.solve(A, b).view(3, 2)


@pytest.mark.parametrize(("method", "atol"), [("sarsa", 0.15), ("q_learning", 1e-3)])
def test_sarsa_learns_its_own_policy_and_q_learning_the_greedy_one(method, atol):
    state = TDControlState(Q=torch.zeros(4, 2, dtype=torch.float64),
                           generator=torch.Generator().manual_seed(1), env=Chain())
    step = td_control_step(TDControlConfig(method=method, seed=0, alpha=0.05, epsilon=0.2,
                                           gamma=1.0))
    run_loop(step, state, LoopConfig(steps=2000))
    # Q-learning: Q*, the greedy policy's values (0.2 exploration or not); SARSA: Q^pi
    expected = _epsilon_greedy_values(0.0 if method == "q_learning" else 0.2)
    assert torch.allclose(state.Q[:3], expected, rtol=0, atol=atol)
    assert (expected - _epsilon_greedy_values(0.2 if method == "q_learning" else 0.0)
            ).abs().max() > 3 * atol  # the other method's values lie outside the tolerance
    assert greedy_path(state.Q, Chain(), seed=0) == [0, 1, 2, 3]


def test_bad_settings_name_the_range():
    with pytest.raises(ConfigError, match="method must be one of sarsa, q_learning"):
        TDControlConfig(method="dqn", seed=0)
    with pytest.raises(ConfigError, match=r"alpha must be in \(0, 1\]"):
        TDControlConfig(method="sarsa", seed=0, alpha=0)


def test_killed_and_resumed_run_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(td_control_runs.__file__), tmp_path, steps=60)
