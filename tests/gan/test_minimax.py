"""The minimax objective: V(G, D) against its definition in float64, the discriminator's loss as
binary cross-entropy, Theorem 1 (V(G, D*) = -log 4 + 2 JSD), and the saturation of log(1 - D)."""

import math

import torch
import torch.nn.functional as F

from mllab.gan.js_divergence import js_divergence
from mllab.gan.minimax import (
    discriminator_loss,
    non_saturating_generator_loss,
    saturating_generator_loss,
    value_function,
)

f64 = torch.float64


def _logits(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=f64) * 3


def test_value_function_is_its_definition():
    real, fake = _logits(7, 0), _logits(5, 1)
    D_real, D_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = D_real.log().mean() + (1 - D_fake).log().mean()
    assert torch.allclose(value_function(real, fake), expected, atol=1e-12)


def test_discriminator_loss_is_binary_cross_entropy_real_one_fake_zero():
    real, fake = _logits(6, 2), _logits(6, 3)
    bce = F.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    assert torch.allclose(discriminator_loss(real, fake), expected, atol=1e-12)


def test_the_losses_stay_finite_where_d_saturates():
    far = torch.tensor([-200.0, 200.0], dtype=f64)
    for value in (value_function(far, far), saturating_generator_loss(far),
                  non_saturating_generator_loss(far)):
        assert torch.isfinite(value)


def test_the_best_discriminator_gives_minus_log_4_plus_twice_the_js_divergence():
    # P_data and P_G on 4 points with probabilities k/10: a batch of 10 real and 10 generated
    # points in those proportions makes the batch means the expectations exactly.
    p = torch.tensor([4, 3, 2, 1], dtype=f64) / 10
    q = torch.tensor([1, 1, 3, 5], dtype=f64) / 10
    D_star = p / (p + q)  # Proposition 1
    logit = (D_star / (1 - D_star)).log()
    real = logit.repeat_interleave((p * 10).round().long())
    fake = logit.repeat_interleave((q * 10).round().long())
    V = value_function(real, fake)
    assert torch.allclose(V, -math.log(4) + 2 * js_divergence(p, q), atol=1e-12)  # Theorem 1
    for seed in range(5):  # and D* is the maximum: any other D gives less
        other = logit + 0.3 * _logits(4, seed)
        V_other = value_function(other.repeat_interleave((p * 10).round().long()),
                                 other.repeat_interleave((q * 10).round().long()))
        assert V_other < V


def test_log_one_minus_d_saturates_where_d_rejects_and_the_non_saturating_loss_does_not():
    rejected = torch.full((4,), -10.0, dtype=f64, requires_grad=True)
    (g_sat,) = torch.autograd.grad(saturating_generator_loss(rejected), rejected)
    (g_ns,) = torch.autograd.grad(non_saturating_generator_loss(rejected), rejected)
    assert torch.allclose(g_sat, -torch.sigmoid(rejected.detach()) / 4)  # about -1e-5 / 4
    assert torch.allclose(g_ns, (torch.sigmoid(rejected.detach()) - 1) / 4)  # about -1 / 4
    assert g_sat.abs().max() < 1e-4 < 0.2 < g_ns.abs().min()


def test_both_generator_losses_decrease_as_d_accepts():
    low, high = torch.tensor([-1.0]), torch.tensor([1.0])
    assert saturating_generator_loss(high) < saturating_generator_loss(low)
    assert non_saturating_generator_loss(high) < non_saturating_generator_loss(low)
