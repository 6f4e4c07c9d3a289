"""Cascaded logistic regressions: the lecture's hidden layer of sigmoids, then a logistic
regression, and it separates XOR where no line does."""

import torch

from mllab.classify import Cascade, best_linear_accuracy
from mllab.data import xor_clusters
from mllab.losses import binary_cross_entropy


def test_cascade_is_two_logistic_regressions_then_one():
    torch.manual_seed(0)
    model = Cascade()
    x = torch.randn(5, 2)
    features = torch.sigmoid(x @ model.first.weight.T + model.first.bias)  # (5, 2)
    torch.testing.assert_close(model.features(x), features)
    logit = features @ model.second.weight[0] + model.second.bias
    torch.testing.assert_close(model(x), logit)
    assert model(x).shape == (5,)


def test_cascade_separates_xor_by_transforming_the_features():
    x, y = xor_clusters(50, 0.1, torch.Generator().manual_seed(0))
    torch.manual_seed(3)
    model = Cascade()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(1500):
        optimizer.zero_grad()
        binary_cross_entropy(model(x), y.float()).backward()
        optimizer.step()
    with torch.no_grad():
        assert ((model(x) > 0).long() == y).double().mean() > 0.95
        assert best_linear_accuracy(model.features(x), y) > 0.95 > best_linear_accuracy(x, y)
