"""The NaN/inf guard: an optimizer of the loop's state never steps with a non-finite gradient,
and the loop names it; outside the loop, ordinary PyTorch."""

import math
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from mllab.train import (
    LoopConfig,
    LoopState,
    NonFiniteLossError,
    run_loop,
)


@dataclass
class TwoNets(LoopState):
    a: nn.Module
    b: nn.Module
    opt_a: torch.optim.Optimizer
    opt_b: torch.optim.Optimizer


def _two_nets(poison_b_at: int) -> tuple[TwoNets, callable]:
    torch.manual_seed(0)
    a, b = nn.Linear(2, 1), nn.Linear(2, 1)
    state = TwoNets(a=a, b=b, opt_a=torch.optim.SGD(a.parameters(), lr=0.1),
                    opt_b=torch.optim.SGD(b.parameters(), lr=0.1))
    x = torch.randn(8, 2)

    def step(s: TwoNets) -> dict:
        for net, opt in ((s.a, s.opt_a), (s.b, s.opt_b)):
            opt.zero_grad()
            loss = net(x).square().mean()
            if net is s.b and s.step == poison_b_at:
                loss = loss + 0.0 * torch.sqrt(-net.weight.sum().abs() - 1)  # NaN gradient
            loss.backward()
            opt.step()
        return {"loss": loss.item()}

    return state, step


def test_guard_refuses_a_non_finite_gradient_naming_the_optimizer():
    state, step = _two_nets(poison_b_at=3)
    with pytest.raises(NonFiniteLossError, match=r"non-finite gradient for 'opt_b' at step 4"):
        run_loop(step, state, LoopConfig(steps=10))
    assert state.step == 3
    assert all(torch.isfinite(p).all() for p in state.b.parameters())
    reference, step = _two_nets(poison_b_at=-1)
    run_loop(step, reference, LoopConfig(steps=3))
    for p, q in zip(reference.b.parameters(), state.b.parameters(), strict=True):
        assert torch.equal(p, q)  # b kept its weights after step 3: the 4th update never ran
    assert not any(torch.equal(p, q) for p, q in zip(reference.a.parameters(),
                                                     state.a.parameters(), strict=True))


def test_guard_hooks_are_removed_after_the_loop():
    state, step = _two_nets(poison_b_at=-1)
    run_loop(step, state, LoopConfig(steps=2))
    state.opt_a.zero_grad()
    state.a.weight.grad = torch.full_like(state.a.weight, math.nan)
    state.opt_a.step()  # ordinary PyTorch again: no guard outside the loop
    assert state.a.weight.isnan().all()


def test_finite_gradients_checks_every_device_and_dtype_group():
    from mllab.train.guard import FiniteGradients

    a = torch.zeros(3, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    c = torch.zeros(1, requires_grad=True)  # no gradient: not checked
    check = FiniteGradients([a, b, c])
    a.grad, b.grad = torch.ones(3), torch.ones(2, dtype=torch.float64)
    assert check() and a.grad.tolist() == [1.0, 1.0, 1.0]  # unchanged (scale 1)
    b.grad[1] = math.inf
    assert not check()
    b.grad[1] = 0.0
    a.grad[0] = math.nan
    assert not check()
