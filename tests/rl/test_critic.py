"""Tabular critics: the lecture's eight episodes by hand (MC and TD disagree on V(s_a)); MC is
the mean return after each visit; batch TD is the certainty-equivalence solution, the values of
the MDP the batch itself implies (a linear solve); both reach the true values of a known chain
from many episodes."""

import torch

from mllab.rl import mc_values, td_values

LECTURE = ([(torch.tensor([0, 1]), torch.tensor([0.0, 0.0]))]
           + [(torch.tensor([1]), torch.tensor([1.0]))] * 6
           + [(torch.tensor([1]), torch.tensor([0.0]))])


def test_the_lectures_eight_episodes():
    assert mc_values(LECTURE, 2).tolist() == [0.0, 0.75]
    assert torch.allclose(td_values(LECTURE, 2), torch.tensor([0.75, 0.75], dtype=torch.float64),
                          rtol=0, atol=1e-9)


def test_mc_is_the_mean_return_after_every_visit_and_keeps_unvisited_states():
    episodes = [(torch.tensor([0, 1, 0]), torch.tensor([1.0, 2.0, 3.0])),
                (torch.tensor([1]), torch.tensor([4.0]))]
    # γ = 0.5: returns 1 + 0.5·2 + 0.25·3 = 2.75, 2 + 1.5 = 3.5, 3 after 0, 1, 0; then 4
    v = mc_values(episodes, 3, gamma=0.5, initial=-1.0)
    assert v.tolist() == [(2.75 + 3) / 2, (3.5 + 4) / 2, -1.0]


def _episodes(n, seed):
    g, out = torch.Generator().manual_seed(seed), []
    for _ in range(n):  # a walk on 0..3 from 1, off the right end reward 1
        s, states, rewards = 1, [], []
        while 0 <= s < 4:
            states.append(s)
            s += 1 if torch.rand((), generator=g) < 0.5 else -1
            rewards.append(float(s == 4))
        out.append((torch.tensor(states), torch.tensor(rewards)))
    return out


def test_batch_td_is_the_certainty_equivalence_solution():
    episodes = _episodes(30, 0)
    counts, rewards = torch.zeros(4, 5, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
    for states, r in episodes:
        nxt = torch.cat([states[1:], torch.tensor([4])])
        for a, b, x in zip(states, nxt, r, strict=True):
            counts[a, b] += 1
            rewards[a] += x
    n = counts.sum(1)
    P, R = counts[:, :4] / n[:, None], rewards / n  # the empirical MDP (4: terminal)
    expected = torch.linalg.solve(torch.eye(4, dtype=torch.float64) - 0.9 * P, R)
    assert torch.allclose(td_values(episodes, 4, gamma=0.9), expected, rtol=0, atol=1e-8)


def test_both_reach_the_true_values_from_many_episodes():
    true = torch.tensor([1, 2, 3, 4], dtype=torch.float64) / 5  # gambler's ruin on 0..3
    episodes = _episodes(3000, 1)
    for critic in (mc_values, td_values):
        assert torch.allclose(critic(episodes, 4), true, atol=0.03)
