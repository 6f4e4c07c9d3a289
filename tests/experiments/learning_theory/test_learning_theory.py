"""``learning-theory``: its helpers by hand, by brute force and against the binomial; its judge
on synthetic metrics; its quick mode."""

import math

import pytest
import torch

from mllab.experiments.learning_theory.learning_theory import (
    LearningTheorySettings,
    bad_probability,
    bad_training_sets,
    judge_learning_theory,
    population_losses,
    sample_training_sets,
    threshold_grid,
    threshold_train_losses,
    union_bound,
)

F64 = torch.float64


def test_threshold_grid_by_hand():
    torch.testing.assert_close(threshold_grid(4),
                               torch.tensor([0.125, 0.375, 0.625, 0.875], dtype=F64))
    torch.testing.assert_close(threshold_grid(1), torch.tensor([0.5], dtype=F64))


def test_population_losses_by_hand_and_against_a_large_sample():
    t = torch.tensor([0.25, 0.5], dtype=F64)
    torch.testing.assert_close(population_losses(t, 0.5, 0.1),
                               torch.tensor([0.3, 0.1, 0.7, 0.9], dtype=F64))
    grid = threshold_grid(7)
    x, y = sample_training_sets(1, 400_000, 0.3, 0.2, torch.Generator().manual_seed(0))
    sampled = threshold_train_losses(x, y, grid)[0]
    torch.testing.assert_close(sampled, population_losses(grid, 0.3, 0.2), atol=4e-3, rtol=0)


def test_threshold_train_losses_by_hand():
    x = torch.tensor([[0.1, 0.4, 0.6, 0.9]], dtype=F64)
    y = torch.tensor([[False, True, False, True]])
    losses = threshold_train_losses(x, y, torch.tensor([0.3, 0.5], dtype=F64))
    # [x > 0.3] predicts 0,1,1,1: one error; [x > 0.5] predicts 0,0,1,1: two errors
    torch.testing.assert_close(losses, torch.tensor([[0.25, 0.5, 0.75, 0.5]], dtype=F64))


def test_threshold_train_losses_match_a_brute_force_loop():
    g = torch.Generator().manual_seed(3)
    x, y = sample_training_sets(6, 13, 0.4, 0.25, g)
    t = threshold_grid(9)
    losses = threshold_train_losses(x, y, t)
    assert losses.shape == (6, 18)
    for m in range(6):
        for k in range(9):
            greater = ((x[m] > t[k]) != y[m]).double().mean().item()
            less_equal = ((x[m] <= t[k]) != y[m]).double().mean().item()
            assert losses[m, k].item() == pytest.approx(greater)
            assert losses[m, 9 + k].item() == pytest.approx(less_equal)


def test_bad_training_sets_by_hand():
    l_all = torch.tensor([0.1, 0.4], dtype=F64)
    l_train = torch.tensor([[0.3, 0.5], [0.1, 0.35], [0.1, 0.25]], dtype=F64)
    # deviations: max 0.2 (bad), 0.05 (good), exactly 0.15 = ε (good: not > ε)
    assert bad_training_sets(l_train, l_all, 0.15).tolist() == [True, False, False]
    assert bad_training_sets(l_train, l_all, 0.01).tolist() == [True, True, True]


def test_union_bound_by_hand():
    assert union_bound(2, 50, 0.1) == pytest.approx(4 * math.exp(-1))
    assert union_bound(1000, 0, 0.3) == 2000
    assert union_bound(20, 100, 0.2) == pytest.approx(40 * math.exp(-8))


def test_bad_probability_matches_the_binomial_for_one_threshold():
    # K = 1 at t = t* = 0.5: L_all = η and L_train is the share of flipped labels, B/N with
    # B ~ Binomial(N, η); bad iff |B/N − η| > ε, i.e. B >= 5 for N = 20, η = ε = 0.1.
    s = LearningTheorySettings(sizes=(20, 40), thresholds=(1, 2), trials=20000, eps=0.1,
                               eta=0.1, t_star=0.5)
    p = bad_probability(20, (1,), s, torch.Generator().manual_seed(0))[0]
    exact = 1 - sum(math.comb(20, b) * 0.1**b * 0.9 ** (20 - b) for b in range(5))
    assert p == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / s.trials))
    assert p <= union_bound(2, 20, 0.1)


def _metrics(small_n_large_h=(0.99, 0.98, 0.99)):
    # p[N][H][repeat] for N = 10, 640 and |H| = 2, 2000
    p = [[[0.5, 0.52, 0.48], list(small_n_large_h)], [[0.0, 0.0, 0.0], [0.0, 0.001, 0.0]]]
    return {"p_bad": p, "bound": [[4.0, 4000.0], [1e-5, 1e-2]], "sizes": [10, 640],
            "h_sizes": [2, 2000]}


@pytest.mark.parametrize(("small_n_large_h", "verdict"), [
    ((0.99, 0.98, 0.99), "reproduced"),
    ((0.3, 0.28, 0.31), "not reproduced"),  # more hypotheses, fewer bad sets: contradicted
    ((0.9, 0.3, 0.6), "inconclusive"),
])
def test_judge(small_n_large_h, verdict):
    evidence = judge_learning_theory(_metrics(small_n_large_h), LearningTheorySettings())
    assert len(evidence.checks) == 3 and evidence.verdict() == verdict
    assert "4 of 4 cells" in evidence.demonstrations[0].shown  # the bound is a theorem


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("learning-theory")["checks"]) == 5
