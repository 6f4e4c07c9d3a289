"""DDPG on the general loop: the soft target update and the critic's target by hand, one
update of critic, actor and targets written out in float64, actions (warm-up, exploration,
the actor's own) inside the action box, the memory and the targets through the loop, bad
settings refused, and a run killed with SIGKILL and resumed ends bitwise identical."""

import copy
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.rl import (
    DDPGConfig,
    DDPGState,
    DeterministicActor,
    QCritic,
    between_episodes,
    ddpg_step,
    ddpg_target,
    deterministic,
    soft_update,
    target_copy,
)
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import ddpg_runs  # noqa: E402

import resume_runs  # noqa: E402


class Point:
    """A point on a line, observed as ``[x]``, starting at 1: the action moves it, the reward
    is ``-x²``, the episode terminates once ``|x| < 0.25`` and is cut after 4 moves."""

    def reset(self, *, seed):
        self.x, self.t = 1.0, 0
        return np.array([self.x], dtype=np.float32), {}

    def step(self, a):
        assert isinstance(a, np.ndarray) and a.shape == (1,)
        self.x, self.t = self.x + float(a[0]), self.t + 1
        done = abs(self.x) < 0.25
        return np.array([self.x], dtype=np.float32), -self.x ** 2, done, self.t >= 4, {}


def _state(seed=0, low=-1.0, high=1.0, lr=0.1):
    torch.manual_seed(seed)
    actor = DeterministicActor(1, torch.tensor([low]), torch.tensor([high]), hidden=(4,))
    critic = QCritic(1, 1, hidden=(4,))
    return DDPGState(actor=actor, critic=critic, actor_target=target_copy(actor),
                     critic_target=target_copy(critic),
                     actor_optimizer=torch.optim.SGD(actor.parameters(), lr=lr),
                     critic_optimizer=torch.optim.SGD(critic.parameters(), lr=lr),
                     generator=torch.Generator().manual_seed(seed), env=Point())


def _filled(module, value):
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(value)
    return module


def test_soft_update_copies_keeps_and_mixes():
    source, target = _filled(nn.Linear(2, 1), 3.0), _filled(nn.Linear(2, 1), 1.0)
    soft_update(target, source, 0.25)  # 0.25 · 3 + 0.75 · 1
    assert all(torch.equal(p, torch.full_like(p, 1.5)) for p in target.parameters())
    kept = copy.deepcopy(target)
    soft_update(target, source, 0.0)
    assert all(torch.equal(p, k) for p, k in zip(target.parameters(), kept.parameters(),
                                                 strict=True))
    soft_update(target, source, 1.0)
    assert all(torch.equal(p, s) for p, s in zip(target.parameters(), source.parameters(),
                                                 strict=True))
    with pytest.raises(ConfigError, match=r"tau must be in \[0, 1\], got 1.5"):
        soft_update(target, source, 1.5)


def test_critic_target_by_hand():
    # μ'(s) = 2 tanh(relu(s)); Q'(s, a) = relu(s + a) + 0.5
    actor = DeterministicActor(1, torch.tensor([-2.0]), torch.tensor([2.0]), hidden=(1,))
    critic = QCritic(1, 1, hidden=(1,))
    with torch.no_grad():
        for m, (w, b) in zip([actor.net[0], actor.net[2], critic.net[0], critic.net[2]],
                             [([1.0], 0.0), ([1.0], 0.0), ([1.0, 1.0], 0.0), ([1.0], 0.5)],
                             strict=True):
            m.weight.copy_(torch.tensor([w])), m.bias.fill_(b)
    y = ddpg_target(torch.tensor([1.0, -2.0]), torch.tensor([[0.5], [-1.0]]),
                    torch.tensor([0.0, 1.0]), actor, critic, gamma=0.9)
    q_next = (0.5 + 2 * math.tanh(0.5)) + 0.5  # Q'(0.5, μ'(0.5))
    assert torch.allclose(y, torch.tensor([1.0 + 0.9 * q_next, -2.0]), rtol=0, atol=1e-6)
    assert not y.requires_grad


def test_one_update_is_the_losses_written_out_in_float64():
    state = _state()
    config = DDPGConfig(seed=0, gamma=0.9, tau=0.1, batch_size=3, learning_starts=3)
    step = ddpg_step(config)
    for _ in range(2):  # two warm-up moves, no update yet (the loop counts the steps)
        step(state)
        state.step += 1
    nets = {k: copy.deepcopy(getattr(state, k)).double()
            for k in ("actor", "critic", "actor_target", "critic_target")}
    g = copy.deepcopy(state.generator)
    step(state)  # the third move (still warm-up), then the first update
    # the step's draws again: the uniform warm-up action, then the replayed batch
    action = -1 + 2 * torch.rand((1,), generator=g)
    assert torch.equal(state.memory["action"][-1], action)
    i = torch.randint(3, (3,), generator=g)
    m = {k: v[i].double() for k, v in state.memory.items()}
    actor, critic = nets["actor"], nets["critic"]
    # critic: mean (Q(s, a) - y)², y = r + γ(1 - d) Q'(s', μ'(s'))
    with torch.no_grad():
        y = m["reward"] + 0.9 * (1 - m["done"]) * nets["critic_target"](
            m["next_obs"], nets["actor_target"](m["next_obs"]))
    loss = ((critic(m["obs"], m["action"]) - y) ** 2).mean()
    grads = torch.autograd.grad(loss, list(critic.parameters()))
    with torch.no_grad():
        for p, d in zip(critic.parameters(), grads, strict=True):
            p -= 0.1 * d
    # actor: -mean Q(s, μ(s)) on the updated critic
    loss = -critic(m["obs"], actor(m["obs"])).mean()
    grads = torch.autograd.grad(loss, list(actor.parameters()))
    with torch.no_grad():
        for p, d in zip(actor.parameters(), grads, strict=True):
            p -= 0.1 * d
        # targets: θ' ← 0.1 θ + 0.9 θ'
        for name in ("actor", "critic"):
            for t, p in zip(nets[f"{name}_target"].parameters(), nets[name].parameters(),
                            strict=True):
                t.copy_(0.1 * p + 0.9 * t)
    for name, expected in nets.items():
        for p, e in zip(getattr(state, name).parameters(), expected.parameters(), strict=True):
            assert torch.allclose(p.double(), e, rtol=0, atol=1e-6), name


def test_actions_stay_inside_the_box():
    low, high = -0.5, 1.5
    state = _state(2, low=low, high=high)
    actor = state.actor
    huge = torch.tensor([[-1e4], [-3.0], [0.0], [3.0], [1e4]])
    out = actor(huge)
    assert out.shape == (5, 1) and bool(((out >= low) & (out <= high)).all())
    a = deterministic(actor)(torch.tensor([1e4]))
    assert isinstance(a, np.ndarray) and a.shape == (1,) and low <= a[0] <= high
    config = DDPGConfig(seed=0, batch_size=2, learning_starts=4, noise_std=5.0)
    step = ddpg_step(config)
    for _ in range(4):
        step(state)
        state.step += 1
    if state.obs is None:  # the noisy step below starts from a live observation
        step(state)
        state.step += 1
    obs, g = state.obs.clone(), copy.deepcopy(state.generator)
    with torch.no_grad():
        mu = actor(obs[None])[0]
    step(state)  # an exploring step: clip(μ(s) + σ c ε, low, high), c = 1
    expected = torch.clamp(mu + 5.0 * 1.0 * torch.randn((1,), generator=g), low, high)
    assert torch.equal(state.memory["action"][-1], expected)
    state.step += 1
    run_loop(step, state, LoopConfig(steps=60), boundary=between_episodes)
    a = state.memory["action"]
    assert bool(((a >= low) & (a <= high)).all())
    assert bool((a == low).any()) and bool((a == high).any())  # σ = 5 clips often


def test_memory_keeps_the_latest_and_the_targets_follow_slowly():
    state = _state(1)
    before = [p.clone() for p in state.critic_target.parameters()]
    config = DDPGConfig(seed=0, batch_size=2, capacity=5, learning_starts=2, tau=0.01)
    run_loop(ddpg_step(config), state, LoopConfig(steps=12), boundary=between_episodes)
    assert len(state.memory["done"]) == 5 and state.memory["obs"].shape == (5, 1)
    assert state.memory["action"].shape == (5, 1) and state.returns
    for b, t, p in zip(before, state.critic_target.parameters(), state.critic.parameters(),
                       strict=True):
        assert not t.requires_grad
        # each of the 11 updates moves θ' by 1% of the way: it stays much nearer its start
        assert (t - b).abs().max() < (p - b).abs().max()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"gamma": 1.5}, r"gamma must be in \[0, 1\], got 1.5"),
    ({"tau": -0.1}, r"tau must be in \[0, 1\], got -0.1"),
    ({"capacity": 10}, "capacity must be an integer >= 256, got 10"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"learning_starts": 100}, "learning_starts must be an integer >= 256, got 100"),
    ({"noise_std": -1.0}, "noise_std must be >= 0, got -1.0"),
])
def test_bad_settings_name_the_range(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        DDPGConfig(seed=0, **kwargs)


def test_an_empty_or_reversed_action_box_is_refused():
    with pytest.raises(ConfigError, match="low, high must be 1-D, of one shape, low < high"):
        DeterministicActor(3, torch.tensor([2.0]), torch.tensor([-2.0]))


def test_killed_and_resumed_run_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(ddpg_runs.__file__), tmp_path, steps=150)
