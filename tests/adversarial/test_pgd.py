"""PGD / iterative FGSM: projections onto the L∞ and L2 balls by their definitions, examples
inside the ball and the pixel range, identical to torchattacks' PGD (no random start) and
PGDL2, untargeted and targeted; a random start drawn only from the generator."""

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import torchattacks

from mllab.adversarial import pgd, project_l2, project_linf, random_start

sys.path.insert(0, str(Path(__file__).parent))
from attack_models import batch, small_model  # noqa: E402


def _l2(v):
    return v.reshape(len(v), -1).norm(dim=1)


def test_projections():
    g = torch.Generator().manual_seed(0)
    x0, x = (torch.rand(3, 1, 4, 4, generator=g, dtype=torch.float64) for _ in range(2))
    inf = project_linf(x, x0, 0.1)
    assert (inf - x0).abs().max() <= 0.1 + 1e-15
    l2 = project_l2(x, x0, 0.3)
    assert torch.allclose(_l2(l2 - x0), torch.full((3,), 0.3, dtype=torch.float64))  # all outside
    assert torch.allclose(project_l2(x, x0, 100.0), x)  # inside: unchanged


@pytest.mark.parametrize("norm,eps,alpha", [("inf", 0.1, 0.03), ("2", 0.5, 0.2)])
def test_inside_the_ball_and_the_pixel_range(norm, eps, alpha):
    model, (x0, y) = small_model(), batch()
    x = pgd(model, x0, y, eps, alpha, 10, norm=norm)
    assert x.min() >= 0 and x.max() <= 1
    d = (x - x0).abs().amax(dim=(1, 2, 3)) if norm == "inf" else _l2(x - x0)
    assert (d <= eps + 1e-12).all()
    assert F.cross_entropy(model(x), y) > F.cross_entropy(model(x0), y)


@pytest.mark.parametrize("targeted", [False, True])
def test_linf_same_examples_as_torchattacks(targeted):
    model, (x0, y) = small_model(), batch()
    attack = torchattacks.PGD(model, eps=0.1, alpha=0.02, steps=10, random_start=False)
    target = (y + 2) % 5 if targeted else None
    if targeted:
        attack.set_mode_targeted_by_function(lambda images, labels: target, quiet=True)
    ref = attack(x0, y)
    ours = pgd(model, x0, y, 0.1, 0.02, 10, target=target, away_from_true=False)
    assert torch.equal(ours, ref)


@pytest.mark.parametrize("targeted", [False, True])
def test_l2_same_examples_as_torchattacks(targeted):
    model, (x0, y) = small_model(), batch()
    attack = torchattacks.PGDL2(model, eps=0.5, alpha=0.1, steps=10, random_start=False)
    target = (y + 2) % 5 if targeted else None
    if targeted:
        attack.set_mode_targeted_by_function(lambda images, labels: target, quiet=True)
    ref = attack(x0, y)
    ours = pgd(model, x0, y, 0.5, 0.1, 10, norm="2", target=target, away_from_true=False)
    assert torch.allclose(ours, ref, atol=1e-14, rtol=0)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_random_start_inside_the_ball_and_reproducible(norm):
    x0, _ = batch()
    a = random_start(x0, 0.3, norm, torch.Generator().manual_seed(5))
    b = random_start(x0, 0.3, norm, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.equal(a, x0)
    d = (a - x0).abs().amax(dim=(1, 2, 3)) if norm == "inf" else _l2(a - x0)
    assert (d <= 0.3 + 1e-12).all()


def test_targeted_attack_reaches_the_target_more_often_than_clean():
    model, (x0, y) = small_model(), batch(B=32)
    target = (y + 1) % 5
    x = pgd(model, x0, y, 0.5, 0.05, 30, target=target)
    assert (model(x).argmax(1) == target).float().mean() > (model(x0).argmax(1) == target
                                                            ).float().mean()
