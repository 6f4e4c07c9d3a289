"""Pure helpers of ``training-strategy``, checked by hand, and its judge."""

import copy

import pytest
import torch

from mllab.experiments.training_strategy import (
    StrategySettings,
    cross_validation_mse,
    fit_least_squares,
    judge_strategy,
    kfold_indices,
    leaderboard_pick,
    mse_of,
    power_features,
)


@pytest.mark.parametrize("n,k", [(23, 5), (10, 10), (7, 2), (100, 3)])
def test_kfold_indices_cover_every_index_once_with_near_equal_folds(n, k):
    folds = kfold_indices(n, k, torch.Generator().manual_seed(0))
    assert len(folds) == k
    assert sorted(torch.cat(folds).tolist()) == list(range(n))
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == n


def test_kfold_indices_are_seeded_and_shuffled():
    a = kfold_indices(50, 5, torch.Generator().manual_seed(1))
    b = kfold_indices(50, 5, torch.Generator().manual_seed(1))
    c = kfold_indices(50, 5, torch.Generator().manual_seed(2))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))
    assert torch.cat(a).tolist() != list(range(50))


@pytest.mark.parametrize("k", [1, 11])
def test_kfold_indices_reject_bad_k(k):
    with pytest.raises(ValueError, match="k must be"):
        kfold_indices(10, k, torch.Generator().manual_seed(0))


def test_power_features_by_hand():
    x = torch.tensor([[2.0, 3.0], [-1.0, 0.5]])
    expected = torch.tensor([[2.0, 3.0, 4.0, 9.0, 8.0, 27.0],
                             [-1.0, 0.5, 1.0, 0.25, -1.0, 0.125]])
    torch.testing.assert_close(power_features(x, 3), expected)
    torch.testing.assert_close(power_features(x, 1), x)


def test_least_squares_recovers_a_polynomial_exactly():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64).unsqueeze(1)
    y = 1 + 2 * x[:, 0] - x[:, 0] ** 2
    theta = fit_least_squares(power_features(x, 2), y)
    torch.testing.assert_close(theta, torch.tensor([2.0, -1.0, 1.0], dtype=torch.float64))
    assert mse_of(theta, power_features(x, 2), y) == pytest.approx(0.0, abs=1e-20)


def test_cross_validation_mse_leave_one_out_by_hand():
    # A zero feature leaves the intercept: each fold predicts the mean of the other folds.
    a = torch.zeros(4, 1, dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    folds = [torch.tensor([i]) for i in range(4)]
    # errors: 0 - 2, 1 - 5/3, 2 - 4/3, 3 - 1 -> squares 4, 4/9, 4/9, 4
    assert cross_validation_mse(a, y, folds) == pytest.approx(20 / 9)
    exact = torch.arange(6, dtype=torch.float64).unsqueeze(1)
    assert cross_validation_mse(exact, 3 * exact[:, 0] + 1,
                                kfold_indices(6, 3, torch.Generator().manual_seed(0))) \
        == pytest.approx(0.0, abs=1e-20)


def test_leaderboard_pick_breaks_ties_by_earliest_submission():
    scores = torch.tensor([0.5, 0.9, 0.9, 0.1])
    assert leaderboard_pick(scores, torch.tensor([3, 2, 1, 0])) == 2
    assert leaderboard_pick(scores, torch.tensor([0, 1, 2, 3])) == 1
    assert leaderboard_pick(torch.tensor([0.2, 0.3, 0.1]), torch.tensor([0, 1, 2])) == 1


GOOD = {
    "depth": {"shallow_train_loss": 0.01, "deep_train_loss": 2.3, "shallow_valid_loss": 0.1,
              "deep_valid_loss": 2.3},
    "cross_validation": {"cv_degree": 2, "lowest_train_degree": 8,
                         "test_mse_cv_choice": 3000.0, "test_mse_lowest_train": 4000.0},
    "leaderboard": {
        "public": {"random_fraction": 0.8, "mean_public_accuracy": 1.0,
                   "median_private_accuracy": 0.52},
        "validation": {"random_fraction": 0.0, "mean_public_accuracy": 0.97,
                       "median_private_accuracy": 0.97}},
    "regularization": {"gap": {"none": 1.2, "l2": 0.6, "dropout": 0.8,
                               "early-stopping": 0.1}},
}


def test_judge_reproduced_only_when_all_four_hold():
    s = StrategySettings()
    verdict, criterion = judge_strategy(GOOD, s)
    assert verdict == "reproduced" and criterion.count("held") == 4
    for path, value in ((("depth", "deep_train_loss"), 0.001),
                        (("cross_validation", "test_mse_cv_choice"), 4000.0),
                        (("leaderboard", "public", "median_private_accuracy"), 0.9),
                        (("regularization", "gap", "dropout"), 1.3)):
        m = copy.deepcopy(GOOD)
        node = m
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        verdict, criterion = judge_strategy(m, s)
        assert verdict == "not reproduced" and criterion.count("did NOT hold") == 1
