"""DANN: the paper's λ schedule by hand, the outputs' shapes, and one backward pass through the
reversal layer giving Eq. (10)'s gradients: -λ ∂L_d/∂θ_f plus ∂L_y/∂θ_f for the extractor,
+∂L_d/∂θ_d for the domain classifier (float64)."""

import math

import pytest
import torch
import torch.nn.functional as F

from mllab.config import ConfigError
from mllab.domain_adaptation import DANN, DANNConfig, dann_lambda


def test_lambda_schedule():
    assert dann_lambda(0.0) == 0.0
    assert abs(dann_lambda(0.5) - (2 / (1 + math.exp(-5)) - 1)) < 1e-15
    assert abs(dann_lambda(1.0) - 0.9999092) < 1e-7
    values = [dann_lambda(p / 10) for p in range(11)]
    assert values == sorted(values)
    with pytest.raises(ConfigError, match="p must"):
        dann_lambda(1.5)


def test_eq_10_gradients_through_the_reversal():
    torch.manual_seed(0)
    model = DANN(DANNConfig(in_features=5, features=4, hidden=6, classes=3)).double()
    model.grl.lambda_ = 0.7
    x = torch.randn(8, 5, dtype=torch.float64)
    y, d = torch.randint(3, (4,)), torch.tensor([0.0] * 4 + [1.0] * 4, dtype=torch.float64)
    logits, dom = model(x)
    assert logits.shape == (8, 3) and dom.shape == (8,)
    loss_y = F.cross_entropy(logits[:4], y)
    loss_d = F.binary_cross_entropy_with_logits(dom, d)
    theta_f = list(model.extractor.parameters())
    theta_d = list(model.domain_classifier.parameters())
    got_f = torch.autograd.grad(loss_y + loss_d, theta_f, retain_graph=True)
    got_d = torch.autograd.grad(loss_d, theta_d, retain_graph=True)
    gy = torch.autograd.grad(loss_y, theta_f, retain_graph=True)
    f = model.features(x)  # the same computation without the reversal layer
    plain_d = F.binary_cross_entropy_with_logits(model.domain_classifier(f).squeeze(1), d)
    gd = torch.autograd.grad(plain_d, theta_f, retain_graph=True)
    for got, a, b in zip(got_f, gy, gd, strict=True):
        assert torch.allclose(got, a - 0.7 * b, atol=1e-14)  # Eq. (10): L_y - lambda L_d
    for got, ref in zip(got_d, torch.autograd.grad(plain_d, theta_d), strict=True):
        assert torch.allclose(got, ref, atol=1e-15)
