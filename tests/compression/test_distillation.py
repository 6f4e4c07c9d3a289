"""The distillation loss by hand, against F.kl_div, its T^2 scaling and the hard term."""

import math

import pytest
import torch
import torch.nn.functional as F

from mllab.compression.distillation import distillation_loss, soft_targets


def test_one_pair_by_hand():
    s, t = torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([[math.log(3.0), 0.0]])
    # at T = 1: p = (3/4, 1/4), q = (1/4, 3/4): KL = 3/4 ln 3 + 1/4 ln(1/3) = ln(3) / 2
    assert distillation_loss(s, t, T=1.0).item() == pytest.approx(math.log(3) / 2, rel=1e-6)
    # at T = 2: p = (sqrt3, 1)/(sqrt3+1); KL = (sqrt3 - 1)/(sqrt3 + 1) ln sqrt3, times 4
    r = math.sqrt(3)
    assert distillation_loss(s, t, T=2.0).item() == pytest.approx(
        4 * (r - 1) / (r + 1) * math.log(r), rel=1e-6)


@pytest.mark.parametrize("T", [1.0, 2.0, 5.0])
def test_matches_kl_div_times_t_squared(T):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(8, 10, generator=g, dtype=torch.float64), torch.randn(8, 10, generator=g,
                                                                             dtype=torch.float64)
    ref = F.kl_div(F.log_softmax(s / T, -1), F.log_softmax(t / T, -1), reduction="batchmean",
                   log_target=True) * T**2
    assert torch.allclose(distillation_loss(s, t, T), ref, atol=1e-12)


def test_zero_when_matching_and_the_teacher_gets_no_gradient():
    t = torch.randn(4, 5, generator=torch.Generator().manual_seed(1), requires_grad=True)
    s = t.detach().clone().requires_grad_()
    loss = distillation_loss(s, t, 3.0)
    assert loss.abs().item() < 1e-6
    distillation_loss(s + 1e-1 * torch.arange(5.0), t, 3.0).backward()
    assert t.grad is None and s.grad is not None


def test_hard_term_and_soft_targets():
    g = torch.Generator().manual_seed(2)
    s, t, y = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g), torch.arange(6) % 4
    mixed = distillation_loss(s, t, 2.0, labels=y, alpha=0.3)
    expected = 0.3 * distillation_loss(s, t, 2.0) + 0.7 * F.cross_entropy(s, y)
    assert torch.allclose(mixed, expected)
    assert torch.allclose(soft_targets(t, 1e6), torch.full((6, 4), 0.25), atol=1e-5)
    with pytest.raises(ValueError, match="labels"):
        distillation_loss(s, t, 2.0, alpha=0.5)
