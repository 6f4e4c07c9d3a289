"""The attacker's loss: the lecture's forms by hand, and its gradient against finite
differences in float64."""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from mllab.adversarial import attack_loss, loss_gradient

sys.path.insert(0, str(Path(__file__).parent))
from attack_models import batch, small_model  # noqa: E402


def test_untargeted_and_targeted_forms():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 3, generator=g, dtype=torch.float64)
    y, t = torch.tensor([0, 1, 2, 0]), torch.tensor([1, 2, 0, 2])
    e = F.cross_entropy
    assert torch.equal(attack_loss(logits, y), -e(logits, y))
    assert torch.allclose(attack_loss(logits, y, t), -e(logits, y) + e(logits, t))
    assert torch.equal(attack_loss(logits, y, t, away_from_true=False), e(logits, t))


def test_gradient_matches_finite_differences():
    model, (x0, y) = small_model(), batch(B=2)
    grad = loss_gradient(model, x0, y)
    h, i = 1e-6, (1, 0, 2, 3)
    dx = torch.zeros_like(x0)
    dx[i] = h
    numeric = (attack_loss(model(x0 + dx), y) - attack_loss(model(x0 - dx), y)) / (2 * h)
    assert abs(grad[i].item() - numeric.item()) < 1e-8
    assert all(p.grad is None for p in model.parameters())
