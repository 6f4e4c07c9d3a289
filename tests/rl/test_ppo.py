"""PPO on the general loop: GAE's targets per episode (nothing after a terminal step, the
critic's estimate after a cut one), a batch split into about N / M minibatches, one update on
a batch used once is the on-policy policy
gradient written out whatever the objective, the KL by hand, reuse moves the learner further
from the collecting policy than one pass, PPO learns CartPole's first steps, and a run killed
with SIGKILL and resumed ends bitwise identical."""

import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.rl import (
    OBJECTIVES,
    ActorCritic,
    ActorCriticState,
    Episode,
    PPOConfig,
    categorical_kl,
    gae,
    gae_targets,
    ppo_step,
)
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import ppo_runs  # noqa: E402
from episodes import Replay, two_episodes  # noqa: E402

import resume_runs  # noqa: E402


def test_gae_targets_by_hand():
    torch.manual_seed(0)
    net, (ended, cut), gamma, lam = ActorCritic(4, 2, hidden=8), two_episodes(), 0.9, 0.5
    A, y = gae_targets(net, [ended, cut], gamma, lam)
    V = lambda x: net(x[None])[1].item()  # noqa: E731
    v = [V(o) for o in ended.obs]
    d = [1 + gamma * v[1] - v[0], 2 + gamma * v[2] - v[1], 3 - v[2]]  # V = 0 after the end
    expected = [d[0] + gamma * lam * (d[1] + gamma * lam * d[2]), d[1] + gamma * lam * d[2], d[2]]
    assert A[:3].tolist() == pytest.approx(expected, rel=1e-5)
    values = net(cut.obs)[1].detach()
    bootstrapped, _ = gae(cut.rewards, values, torch.tensor(V(cut.last_obs)),
                          torch.zeros(2), gamma, lam)  # a cut episode goes on in V(last_obs)
    assert torch.allclose(A[3:], bootstrapped)
    assert torch.allclose(y, A + net(torch.cat([ended.obs, cut.obs]))[1].detach())


def test_categorical_kl_by_hand():
    p, q = torch.tensor([[0.5, 0.5], [0.9, 0.1]]), torch.tensor([[0.25, 0.75], [0.9, 0.1]])
    expected = 0.5 * torch.log(torch.tensor(0.5 / 0.25)) + 0.5 * torch.log(torch.tensor(0.5 / 0.75))
    assert categorical_kl(p.log(), q.log()).tolist() == pytest.approx([expected.item(), 0],
                                                                      abs=1e-7)


def _one_update(objective, epochs=1, lr=0.1):
    torch.manual_seed(1)
    net = ActorCritic(4, 2, hidden=8)
    episode = two_episodes()[0]
    state = ActorCriticState(net=net, optimizer=torch.optim.SGD(net.parameters(), lr=lr),
                     generator=torch.Generator().manual_seed(2), env=Replay(episode))
    line = ppo_step(PPOConfig(seed=0, objective=objective, rollout_steps=3, epochs=epochs,
                              minibatch_size=3, gamma=0.9, lam=0.8))(state)
    return net, episode, line


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_a_batch_used_once_is_the_policy_gradient_written_out(objective):
    net, episode, _ = _one_update(objective)
    torch.manual_seed(1)
    reference = ActorCritic(4, 2, hidden=8)
    # the actions the step drew, replayed from the same generator
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        actions = [int(torch.multinomial(torch.softmax(reference.logits(o[None]), -1), 1,
                                         generator=g)) for o in episode.obs]
    played = Episode(episode.obs, torch.tensor(actions), episode.rewards, episode.last_obs, True)
    A, y = gae_targets(reference, [played], 0.9, 0.8)
    A = (A - A.mean()) / (A.std() + 1e-8)
    logits, values = reference(episode.obs)
    log_p = torch.log_softmax(logits, -1)[torch.arange(3), played.actions]
    loss = -(A * log_p).mean() + 0.5 * (y - values).square().mean()  # r_t = 1: ∇r_t = ∇log π
    loss.backward()
    with torch.no_grad():
        for p, q in zip(net.parameters(), reference.parameters(), strict=True):
            assert torch.allclose(p, q - 0.1 * q.grad, rtol=0, atol=1e-7)


@pytest.mark.parametrize(("minibatch_size", "updates"), [(1, 3), (2, 2), (3, 1), (4, 1), (7, 1)])
def test_a_batch_is_split_into_about_n_over_m_minibatches(minibatch_size, updates):
    net = ActorCritic(4, 2, hidden=8)
    state = ActorCriticState(net=net, optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
                             generator=torch.Generator().manual_seed(2),
                             env=Replay(two_episodes()[0]))  # a batch of 3 samples
    steps = []
    state.optimizer.register_step_post_hook(lambda *_: steps.append(1))
    ppo_step(PPOConfig(seed=0, rollout_steps=3, epochs=2, minibatch_size=minibatch_size))(state)
    assert len(steps) == 2 * updates


def test_reusing_the_batch_moves_the_learner_further_than_one_pass():
    for objective in OBJECTIVES:
        once, many = _one_update(objective)[2], _one_update(objective, epochs=20)[2]
        assert many["kl"] > 10 * once["kl"] > 0


def test_ppo_learns_cartpoles_first_steps():
    import gymnasium as gym

    torch.manual_seed(0)
    net = ActorCritic(4, 2, hidden=64)
    state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=1e-3),
                     generator=torch.Generator().manual_seed(0), env=gym.make("CartPole-v1"))
    run_loop(ppo_step(PPOConfig(seed=0, rollout_steps=512, gamma=0.98, lam=0.8)), state,
             LoopConfig(steps=15))
    assert sum(state.returns[-10:]) > 2 * sum(state.returns[:10])
    assert state.steps == sum(state.returns)  # CartPole: reward 1 a step


@pytest.mark.parametrize(("field", "value", "message"), [
    ("objective", "trpo", "objective must be one of clip, kl, importance"),
    ("epochs", 0, "epochs"), ("lam", 1.5, "lam must be in"), ("clip", 0.0, "clip must be > 0")])
def test_bad_settings_name_the_choices(field, value, message):
    with pytest.raises(ConfigError, match=message):
        PPOConfig(seed=0, **{field: value})


def test_killed_and_resumed_run_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(ppo_runs.__file__), tmp_path, steps=12)
