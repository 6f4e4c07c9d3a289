"""What every optimizer shares: the closure, gradients left as they are, no update and no state
without a gradient, argument checks, and the adaptive methods' denominator."""

import pytest
import torch

from mllab.optim import Adagrad, Adam, GradientDescent, Momentum, RMSProp
from mllab.optim._foreach_optimizer import sqrt_plus_eps

ALL = [GradientDescent, Momentum, Adagrad, RMSProp, Adam]


@pytest.mark.parametrize("cls", ALL)
def test_weight_decay_leaves_grad_untouched_and_closure_returns_the_loss(cls):
    theta = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = cls([theta], lr=0.1, weight_decay=0.3)

    def closure():
        opt.zero_grad()
        loss = theta.square().sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    torch.testing.assert_close(theta.grad, torch.tensor([2.0, -4.0], dtype=torch.float64))
    assert not torch.equal(theta.detach(), torch.tensor([1.0, -2.0], dtype=torch.float64))


@pytest.mark.parametrize("cls", ALL)
def test_no_gradient_no_update_no_state(cls):
    theta = torch.tensor([1.0], requires_grad=True)
    opt = cls([theta], lr=0.1)
    assert opt.step() is None
    assert theta.item() == 1.0 and not opt.state


@pytest.mark.parametrize("cls", ALL)
def test_lr_validation_names_the_argument(cls):
    theta = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"^lr must be a finite number >= 0, got -1$"):
        cls([theta], lr=-1)
    with pytest.raises(ValueError, match=r"^weight_decay must be a finite number >= 0"):
        cls([theta], lr=0.1, weight_decay=float("inf"))


@pytest.mark.parametrize("per_tensor_root", [True, False, None])
def test_denominator_sqrt_plus_eps_both_ways_and_into_the_given_buffers(per_tensor_root):
    g = torch.Generator().manual_seed(0)
    x = [torch.rand(3, 4, generator=g), torch.rand(5, generator=g, dtype=torch.float64)]
    out = [torch.full_like(t, float("nan")) for t in x]
    got = sqrt_plus_eps(x, [0.5, 0.25], out, per_tensor_root=per_tensor_root)
    assert all(a is b for a, b in zip(got, out, strict=True))
    for xi, oi, eps in zip(x, out, [0.5, 0.25], strict=True):
        torch.testing.assert_close(oi, xi.sqrt() + eps, rtol=0, atol=0)
