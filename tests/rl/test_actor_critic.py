"""Actor-critic on the general loop: the critic's targets by hand (Monte Carlo returns; TD
targets that stop at a terminal step and bootstrap at a cut one), one update's gradient equal
to the loss written out, A2C learns CartPole's first steps, and a run killed with SIGKILL and
resumed ends bitwise identical."""

import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.rl import (
    ActorCritic,
    ActorCriticConfig,
    ActorCriticState,
    Episode,
    actor_critic_step,
    critic_targets,
)
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import actor_critic_runs  # noqa: E402
from episodes import Replay, two_episodes  # noqa: E402

import resume_runs  # noqa: E402


def test_critic_targets_by_hand():
    torch.manual_seed(0)
    net, episodes, gamma = ActorCritic(4, 2, hidden=8), two_episodes(), 0.5
    mc = critic_targets(net, episodes, "mc", gamma)
    assert mc.tolist() == pytest.approx([1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3, 1.5, 1])
    V = lambda x: net(x[None])[1].item()  # noqa: E731
    ended, cut = episodes
    expected = [1 + gamma * V(ended.obs[1]), 2 + gamma * V(ended.obs[2]), 3.0,  # V = 0 after
                1 + gamma * V(cut.obs[1]), 1 + gamma * V(cut.last_obs)]  # bootstrapped
    assert critic_targets(net, episodes, "td", gamma).tolist() == pytest.approx(expected,
                                                                                rel=1e-6)


def test_n_step_targets_by_hand():
    torch.manual_seed(0)
    net, episodes, g = ActorCritic(4, 2, hidden=8), two_episodes(), 0.5
    V = lambda x: net(x[None])[1].item()  # noqa: E731
    ended, cut = episodes
    expected = [1 + g * 2 + g**2 * V(ended.obs[2]), 2 + g * 3, 3.0,  # the sum stops at the end
                1 + g * 1 + g**2 * V(cut.last_obs), 1 + g * V(cut.last_obs)]
    assert critic_targets(net, episodes, "td", g, n=2).tolist() == pytest.approx(expected,
                                                                                 rel=1e-6)
    assert torch.allclose(critic_targets(net, episodes, "td", g, n=50)[:3],
                          critic_targets(net, episodes, "mc", g)[:3])  # n ≥ T: Monte Carlo


@pytest.mark.parametrize("critic", ["mc", "td"])
def test_one_update_is_the_loss_written_out(critic):
    torch.manual_seed(1)
    net = ActorCritic(4, 2, hidden=8)
    reference = ActorCritic(4, 2, hidden=8)
    reference.load_state_dict(net.state_dict())
    episode = two_episodes()[0]
    state = ActorCriticState(net=net, optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
                             generator=torch.Generator().manual_seed(2), env=Replay(episode))
    actor_critic_step(ActorCriticConfig(critic=critic, seed=0, episodes=1, gamma=0.9,
                                        value_coef=0.5))(state)
    # the actions the step drew, replayed from the same generator
    g = torch.Generator().manual_seed(2)
    actions = []
    with torch.no_grad():
        for o in episode.obs:
            probs = torch.softmax(reference.logits(o[None]), -1)
            actions.append(int(torch.multinomial(probs, 1, generator=g)))
    played = Episode(episode.obs, torch.tensor(actions), episode.rewards, episode.last_obs, True)
    logits, values = reference(episode.obs)
    y = critic_targets(reference, [played], critic, 0.9)
    log_p = torch.log_softmax(logits, -1)[torch.arange(3), played.actions]
    loss = -((y - values.detach()) * log_p).sum() + 0.5 * (y - values).square().mean()
    loss.backward()
    with torch.no_grad():
        for p, q in zip(net.parameters(), reference.parameters(), strict=True):
            assert torch.allclose(p, q - 0.1 * q.grad, rtol=0, atol=1e-7)


def test_a2c_learns_cartpoles_first_steps():  # the settings of the actor-critic experiment
    import gymnasium as gym

    torch.manual_seed(0)
    net = ActorCritic(4, 2, hidden=64)
    state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=3e-3),
                             generator=torch.Generator().manual_seed(0),
                             env=gym.make("CartPole-v1"))
    run_loop(actor_critic_step(ActorCriticConfig(critic="td", n=5, seed=0)), state,
             LoopConfig(steps=60))
    assert sum(state.returns[-25:]) > 2 * sum(state.returns[:25])
    assert state.steps == sum(state.returns)  # CartPole: reward 1 a step


def test_bad_critic_names_the_choices():
    with pytest.raises(ConfigError, match="critic must be one of mc, td"):
        ActorCriticConfig(critic="gae", seed=0)


def test_killed_and_resumed_run_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(actor_critic_runs.__file__), tmp_path, steps=12)


def test_a_critic_on_its_own_trunk_leaves_the_actors_features_alone():
    torch.manual_seed(0)
    net, x = ActorCritic(4, 2, hidden=8, shared=False), torch.randn(5, 4)
    logits, values = net(x)
    assert torch.equal(logits, net.logits(x))
    values.square().sum().backward()
    assert all(p.grad is None for p in [*net.trunk.parameters(), *net.policy.parameters()])
    assert all(p.grad.abs().sum() > 0 for p in net.value_trunk.parameters())
    torch.manual_seed(0)
    shared = ActorCritic(4, 2, hidden=8)
    shared(torch.randn(5, 4))[1].square().sum().backward()
    assert all(p.grad.abs().sum() > 0 for p in shared.trunk.parameters())
