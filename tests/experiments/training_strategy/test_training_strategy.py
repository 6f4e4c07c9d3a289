"""The training-strategy experiment: the leaderboard's tie rule, the judge, the quick mode."""

import copy

import torch

from mllab.experiments.training_strategy.training_strategy import (
    StrategySettings,
    judge_strategy,
    leaderboard_pick,
)


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


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("training-strategy")
