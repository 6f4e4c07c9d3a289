"""Polynomial features by hand."""


import torch

from mllab.data import power_features


def test_power_features_by_hand():
    x = torch.tensor([[2.0, 3.0], [-1.0, 0.5]])
    expected = torch.tensor([[2.0, 3.0, 4.0, 9.0, 8.0, 27.0],
                             [-1.0, 0.5, 1.0, 0.25, -1.0, 0.125]])
    torch.testing.assert_close(power_features(x, 3), expected)
    torch.testing.assert_close(power_features(x, 1), x)
