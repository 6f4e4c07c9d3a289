"""FGSM: every pixel moves by exactly ε (or hits the pixel range), the loss rises, and the
examples equal torchattacks.FGSM's on the same float64 model, untargeted and targeted."""

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import torchattacks

from mllab.adversarial import fgsm
from mllab.config import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from attack_models import batch, small_model  # noqa: E402


def test_inside_the_ball_and_the_pixel_range_on_its_corner():
    model, (x0, y) = small_model(), batch()
    x = fgsm(model, x0, y, 0.1)
    assert x.min() >= 0 and x.max() <= 1
    moved = (x - x0).abs()
    assert moved.max() <= 0.1 + 1e-15
    interior = (x > 0) & (x < 1)
    assert torch.allclose(moved[interior], torch.full_like(moved[interior], 0.1))


def test_raises_the_true_class_loss():
    model, (x0, y) = small_model(), batch()
    x = fgsm(model, x0, y, 0.05)
    assert F.cross_entropy(model(x), y) > F.cross_entropy(model(x0), y)


def test_same_examples_as_torchattacks():
    model, (x0, y) = small_model(), batch()
    ref = torchattacks.FGSM(model, eps=0.1)(x0, y)
    assert torch.equal(fgsm(model, x0, y, 0.1), ref)


def test_targeted_same_as_torchattacks_without_the_true_term():
    model, (x0, y) = small_model(), batch()
    target = (y + 1) % 5
    attack = torchattacks.FGSM(model, eps=0.1)
    attack.set_mode_targeted_by_function(lambda images, labels: target, quiet=True)
    ref = attack(x0, y)
    assert torch.equal(fgsm(model, x0, y, 0.1, target=target, away_from_true=False), ref)
    lecture = fgsm(model, x0, y, 0.1, target=target)  # -e(y, y_hat) + e(y_target, y_hat)
    assert not torch.equal(lecture, ref)


def test_rejects_a_negative_eps():
    model, (x0, y) = small_model(), batch()
    with pytest.raises(ConfigError, match="eps"):
        fgsm(model, x0, y, -0.1)
