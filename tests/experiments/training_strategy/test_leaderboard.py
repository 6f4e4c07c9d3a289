"""The leaderboard game: ties go to the earliest submission."""

import torch

from mllab.experiments.training_strategy.leaderboard import leaderboard_pick


def test_leaderboard_pick_breaks_ties_by_earliest_submission():
    scores = torch.tensor([0.5, 0.9, 0.9, 0.1])
    assert leaderboard_pick(scores, torch.tensor([3, 2, 1, 0])) == 2
    assert leaderboard_pick(scores, torch.tensor([0, 1, 2, 3])) == 1
    assert leaderboard_pick(torch.tensor([0.2, 0.3, 0.1]), torch.tensor([0, 1, 2])) == 1
