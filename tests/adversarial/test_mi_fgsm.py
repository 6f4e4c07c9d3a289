"""MI-FGSM: identical to torchattacks.MIFGSM on the same float64 model; decay 0 is iterative
FGSM (PGD without random start); inside the L∞ ball; with input diversity it stays inside."""

import sys
from pathlib import Path

import torch
import torchattacks

from mllab.adversarial import mi_fgsm, normalise_l1, pgd, random_resize_pad

sys.path.insert(0, str(Path(__file__).parent))
from attack_models import batch, small_model  # noqa: E402


def test_same_examples_as_torchattacks():
    model, (x0, y) = small_model(), batch()
    ref = torchattacks.MIFGSM(model, eps=0.1, alpha=0.02, steps=10, decay=1.0)(x0, y)
    assert torch.equal(mi_fgsm(model, x0, y, 0.1, 0.02, 10, decay=1.0), ref)


def test_decay_zero_is_iterative_fgsm():
    model, (x0, y) = small_model(), batch()
    assert torch.equal(mi_fgsm(model, x0, y, 0.1, 0.02, 10, decay=0.0),
                       pgd(model, x0, y, 0.1, 0.02, 10))


def test_normalise_l1_has_unit_mean_absolute_value():
    g = torch.randn(3, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(normalise_l1(g).abs().mean(dim=(1, 2, 3)), torch.ones(3))


def test_with_input_diversity_inside_the_ball():
    model, (x0, y) = small_model(), batch()
    gen = torch.Generator().manual_seed(0)
    x = mi_fgsm(model, x0, y, 0.1, 0.02, 5,
                transform=lambda v: random_resize_pad(v, gen, rate=1.5, prob=0.7))
    assert (x - x0).abs().max() <= 0.1 + 1e-12 and x.min() >= 0 and x.max() <= 1
