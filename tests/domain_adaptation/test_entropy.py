"""The prediction entropy: log K for flat logits, 0 for a certain prediction, scipy's
entropy on random logits (float64)."""

import math

import torch
from scipy.stats import entropy

from mllab.domain_adaptation import prediction_entropy


def test_closed_forms():
    assert abs(prediction_entropy(torch.zeros(3, 7, dtype=torch.float64)) - math.log(7)) < 1e-15
    certain = torch.tensor([[1000.0, 0.0, 0.0]], dtype=torch.float64)
    assert prediction_entropy(certain) == 0


def test_scipy():
    logits = torch.randn(6, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = entropy(torch.softmax(logits, 1).numpy(), axis=1).mean()
    assert abs(prediction_entropy(logits).item() - expected) < 1e-14
