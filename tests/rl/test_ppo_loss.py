"""Importance weights, importance sampling's objective and PPO's two surrogates: by hand; at
r_t = 1 the importance-sampling gradient is the policy gradient; the clip's effect on the
gradient: none outside [1 - eps, 1 + eps] in the direction the advantage pushes."""

import math

import pytest
import torch

from mllab.rl import importance_sampling_loss, importance_weights, ppo_clip_loss, ppo_kl_loss


def test_importance_weights_are_probability_ratios():
    p_new, p_old = torch.tensor([0.5, 0.1, 0.9]), torch.tensor([0.25, 0.2, 0.9])
    w = importance_weights(p_new.log(), p_old.log())
    assert w.tolist() == pytest.approx([2.0, 0.5, 1.0], rel=1e-6)


def test_clip_loss_by_hand():
    ratio = torch.tensor([0.5, 1.1, 1.5, 0.5, 1.5], dtype=torch.float64)
    adv = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0], dtype=torch.float64)
    # min(rA, clip(r)A): 0.5 (r < 1 - eps, A > 0: unclipped), 1.1, 1.2 (capped), -0.8 (capped
    # at 1 - eps for A < 0), -1.5 (unclipped: a worse ratio is never ignored)
    expected = -(0.5 + 1.1 + 1.2 - 0.8 - 1.5) / 5
    assert ppo_clip_loss(ratio, adv, 0.2).item() == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(("r", "a", "zero"), [(1.5, 1.0, True), (0.5, -1.0, True),
                                              (1.1, 1.0, False), (0.5, 1.0, False),
                                              (1.5, -1.0, False)])
def test_no_gradient_where_the_clip_binds(r, a, zero):
    log_ratio = torch.tensor([math.log(r)], dtype=torch.float64, requires_grad=True)
    ppo_clip_loss(log_ratio.exp(), torch.tensor([a], dtype=torch.float64), 0.2).backward()
    assert (log_ratio.grad.item() == 0) == zero


def test_kl_loss_by_hand():
    ratio, adv, kl = torch.tensor([2.0, 0.5]), torch.tensor([1.0, -2.0]), torch.tensor([0.1, 0.3])
    assert ppo_kl_loss(ratio, adv, kl, beta=2.0).item() == pytest.approx(
        -((2.0 - 0.2) + (-1.0 - 0.6)) / 2)


def test_importance_sampling_at_the_collecting_policy_is_the_policy_gradient():
    log_p = torch.tensor([-0.7, -1.2, -0.1], dtype=torch.float64, requires_grad=True)
    adv = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    loss = importance_sampling_loss(importance_weights(log_p, log_p.detach()), adv)
    assert loss.item() == pytest.approx(-(1.0 - 2.0 + 0.5) / 3)  # r_t = 1
    (grad,) = torch.autograd.grad(loss, log_p)
    (pg,) = torch.autograd.grad(-(adv * log_p).mean(), log_p)  # ∇r_t = r_t ∇log π
    assert torch.equal(grad, pg)
