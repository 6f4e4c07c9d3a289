"""Policy gradient on the general loop: the loss's gradient is the lecture's sum by hand; on a
two-armed bandit its mean over many episodes is the true gradient of the expected reward (a
closed form) for every version, while the baseline shrinks its variance when every reward is
positive; the actor learns CartPole's first steps; a run killed with SIGKILL and resumed ends
bitwise identical."""

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.rl import (
    Episode,
    PolicyGradientConfig,
    PolicyGradientState,
    collect_episode,
    episode_weights,
    policy_gradient_loss,
    policy_gradient_step,
)
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import policy_gradient_runs  # noqa: E402

import resume_runs  # noqa: E402


def test_gradient_is_the_weighted_sum_of_log_probability_gradients():
    policy = nn.Linear(3, 2).double()
    g = torch.Generator().manual_seed(0)
    episodes = [Episode(torch.randn(n, 3, generator=g, dtype=torch.float64),
                        torch.randint(2, (n,), generator=g), torch.ones(n)) for n in (4, 2)]
    weights = [torch.randn(4, generator=g, dtype=torch.float64),
               torch.randn(2, generator=g, dtype=torch.float64)]
    policy_gradient_loss(policy, episodes, weights).backward()
    expected = torch.zeros_like(policy.weight)
    for e, w in zip(episodes, weights, strict=True):
        for o, a, weight in zip(e.obs, e.actions, w, strict=True):
            p = torch.softmax(policy(o), 0).detach()
            # ∇_W log softmax(W o + b)[a] = (onehot(a) - p) o^T
            expected -= weight * torch.outer(torch.eye(2, dtype=torch.float64)[a] - p, o) / 2
    assert torch.allclose(policy.weight.grad, expected, rtol=1e-12, atol=1e-14)


class Bandit:
    """One step, two arms: reward 1 for arm 0, 3 for arm 1 (every reward positive)."""

    def reset(self, *, seed):
        return torch.zeros(1).numpy(), {}

    def step(self, a):
        return torch.zeros(1).numpy(), (1.0, 3.0)[a], True, False, {}


def _single_episode_variance(p: torch.Tensor, r: torch.Tensor) -> float:
    r"""Total variance of one episode's :math:`r(a)(e_a - p)` on the bandit, :math:`a \sim p`:
    :math:`\mathbb E\lVert X\rVert^2 - \lVert\mathbb E X\rVert^2`, by enumerating the arms."""
    x = r[:, None] * (torch.eye(2) - p)  # (arm, 2): X given the arm
    return float(p @ x.square().sum(1) - (p @ x).square().sum())


@pytest.mark.parametrize("version", [2, 3])  # one step: versions 0, 1 and 2 are the same
def test_the_bandit_gradient_is_unbiased_and_the_baseline_lowers_its_variance(version):
    policy = nn.Linear(1, 2, bias=True)
    with torch.no_grad():
        policy.weight.zero_()
        policy.bias.copy_(torch.tensor([0.4, -0.2]))
    n, g = 8, torch.Generator().manual_seed(1)
    config = PolicyGradientConfig(version=version, seed=0, episodes=n)
    grads = []
    for _ in range(1500):
        batch = [collect_episode(policy, Bandit(), seed=0, generator=g) for _ in range(n)]
        policy.zero_grad()
        policy_gradient_loss(policy, batch, episode_weights(batch, config)).backward()
        grads.append(policy.bias.grad.clone())
    grads = torch.stack(grads)  # (1500, 2)
    # J(b) = Σ_a softmax(b)_a r_a; the loss's expected gradient is -∇J (the batch-mean
    # baseline is correlated with its batch: a bias of order 1/N)
    b, r = torch.tensor([0.4, -0.2], requires_grad=True), torch.tensor([1.0, 3.0])
    (torch.softmax(b, 0) @ r).backward()
    tol = 0.03 + (0.2 * b.grad.abs().max().item() if version == 3 else 0.0)
    assert torch.allclose(grads.mean(0), -b.grad, atol=tol)
    without = _single_episode_variance(torch.softmax(b.detach(), 0), r) / n
    variance = grads.var(0).sum().item()
    if version == 3:
        assert variance < 0.5 * without
    else:
        assert variance == pytest.approx(without, rel=0.15)


def test_the_actor_learns_cartpoles_first_steps():
    import gymnasium as gym

    torch.manual_seed(0)
    policy = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2))
    state = PolicyGradientState(policy=policy,
                                optimizer=torch.optim.Adam(policy.parameters(), lr=1e-2),
                                generator=torch.Generator().manual_seed(0),
                                env=gym.make("CartPole-v1"))
    run_loop(policy_gradient_step(PolicyGradientConfig(version=3, seed=0, episodes=5)), state,
             LoopConfig(steps=30))
    first, last = state.returns[:25], state.returns[-25:]
    assert sum(last) / 25 > 2 * sum(first) / 25


def test_bad_version_names_the_range():
    with pytest.raises(ConfigError, match="version must be one of 0, 1, 2, 3"):
        PolicyGradientConfig(version=5, seed=0)


def test_killed_and_resumed_run_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(policy_gradient_runs.__file__), tmp_path,
                                         steps=12)
