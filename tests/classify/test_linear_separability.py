"""The best linear classifier on 2-D data, by hand and against logistic regression."""


import torch

from mllab.classify import LogisticRegression, best_linear_accuracy
from mllab.data import xor_clusters
from mllab.metrics import accuracy


def test_best_linear_accuracy_by_hand():
    corners = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert best_linear_accuracy(corners, torch.tensor([0, 0, 1, 1])) == 0.75  # XOR
    assert best_linear_accuracy(corners, torch.tensor([0, 1, 0, 1])) == 1.0  # x₁ > 0.5
    x, y = xor_clusters(20, 0.1, torch.Generator().manual_seed(0))
    assert x.shape == (80, 2) and y.bincount().tolist() == [40, 40]
    assert best_linear_accuracy(x, y) < 0.8


def test_no_linear_classifier_beats_the_best_linear_accuracy():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(120, 2, generator=gen)
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.7 * torch.randn(120, generator=gen) > 0).long()
    best = best_linear_accuracy(x, y)
    fitted = LogisticRegression(lr=0.5, epochs=2000).fit(x.double(), y)
    assert accuracy(fitted.predict(x.double()), y) <= best + 1e-12
    assert best > 0.6
