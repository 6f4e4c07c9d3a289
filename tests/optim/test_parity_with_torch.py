"""Parity with torch.optim: the same trajectory to 1e-6 (float64) over 60 mini-batch steps of a
random MLP, with and without weight decay, at an ordinary and at a large learning rate."""

import inspect

import pytest
import torch

from mllab.nn import MLP, MLPConfig
from mllab.optim import Adagrad, Adam, ConstantRateAdagrad, GradientDescent, Momentum, RMSProp

STEPS = 60

# name: (mllab factory, torch.optim factory, ordinary lr, large lr where torch stays finite)
PAIRS = {
    "GradientDescent": (lambda p, lr, wd: GradientDescent(p, lr=lr, weight_decay=wd),
                        lambda p, lr, wd: torch.optim.SGD(p, lr=lr, weight_decay=wd), 0.05, 1.0),
    "Momentum": (lambda p, lr, wd: Momentum(p, lr=lr, momentum=0.9, weight_decay=wd),
                 lambda p, lr, wd: torch.optim.SGD(p, lr=lr, momentum=0.9, weight_decay=wd),
                 0.05, 0.3),  # 0.3 with λ = 0.9: an effective rate of 3
    "Adagrad": (lambda p, lr, wd: Adagrad(p, lr=lr, weight_decay=wd),
                lambda p, lr, wd: torch.optim.Adagrad(p, lr=lr, weight_decay=wd), 0.05, 10.0),
    "Adam": (lambda p, lr, wd: Adam(p, lr=lr, weight_decay=wd),
             lambda p, lr, wd: torch.optim.Adam(p, lr=lr, weight_decay=wd), 0.01, 10.0),
}


def _data(n=64, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g, dtype=torch.float64)
    y = torch.sin(x.sum(1)) + 0.1 * torch.randn(n, generator=g, dtype=torch.float64)
    return x, y


def _twin_models(seed=0):
    torch.manual_seed(seed)
    a = MLP(MLPConfig(in_features=5, depth=2, width=16)).double()
    b = MLP(MLPConfig(in_features=5, depth=2, width=16)).double()
    b.load_state_dict(a.state_dict())
    return a, b


def _step(model, opt, x, y):
    opt.zero_grad()
    (model(x) - y).square().mean().backward()
    opt.step()


def _cases():
    for name, (_, _, lr, large) in PAIRS.items():
        for eta in (lr, large):
            for wd in (0.0, 0.1):
                yield pytest.param(name, eta, wd, id=f"{name}-lr{eta}-wd{wd}")


@pytest.mark.parametrize(("name", "eta", "wd"), list(_cases()))
def test_same_trajectory_as_torch_optim(name, eta, wd):
    make_ours, make_ref, _, _ = PAIRS[name]
    ours, ref = _twin_models()
    init = [p.detach().clone() for p in ref.parameters()]
    opt_ours, opt_ref = make_ours(ours.parameters(), eta, wd), make_ref(ref.parameters(), eta, wd)
    x, y = _data()
    for k in range(STEPS):
        batch = slice(16 * (k % 4), 16 * (k % 4 + 1))  # 4 mini-batches in turn
        _step(ours, opt_ours, x[batch], y[batch])
        _step(ref, opt_ref, x[batch], y[batch])
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-6, msg=f"step {k + 1}")
    assert all(torch.isfinite(q).all() for q in ref.parameters())
    moved = max((q - q0).abs().max().item() for q, q0 in zip(ref.parameters(), init,
                                                              strict=True))
    assert moved > 0.05  # the comparison is not between two models that stood still


def test_state_matches_torch_state():
    """Adam's m, v are torch's exp_avg, exp_avg_sq; Adagrad's sum; Momentum's m = −η v."""
    x, y = _data()
    for make_ours, make_ref, pairs in [
        (lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01),
         lambda st, ts, p: [(st["m"], ts["exp_avg"]), (st["v"], ts["exp_avg_sq"]),
                            (torch.tensor(float(st["step"])), ts["step"])]),
        (lambda p: Adagrad(p, lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1),
         lambda st, ts, p: [(st["sum_sq"], ts["sum"])]),
    ]:
        ours, ref = _twin_models()
        opt_ours, opt_ref = make_ours(ours.parameters()), make_ref(ref.parameters())
        for _ in range(7):
            _step(ours, opt_ours, x, y)
            _step(ref, opt_ref, x, y)
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            for a, b in pairs(opt_ours.state[p], opt_ref.state[q], p):
                torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    ours, ref = _twin_models()
    opt_ours = Momentum(ours.parameters(), lr=0.05, momentum=0.9)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
    for _ in range(7):
        _step(ours, opt_ours, x, y)
        _step(ref, opt_ref, x, y)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        v = opt_ref.state[q]["momentum_buffer"]
        torch.testing.assert_close(opt_ours.movement(p), -0.05 * v, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(PAIRS))
def test_param_groups_mixed_dtypes_and_frozen_parameters(name):
    """Two groups with their own lr and weight decay, a float32 layer among float64 ones, and a
    parameter without gradient: the same as torch, and the frozen one has no state."""
    make_ours, make_ref, lr, _ = PAIRS[name]

    def build():
        torch.manual_seed(3)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8).double(), torch.nn.Tanh(),
                                    torch.nn.Linear(8, 3), torch.nn.Linear(3, 1).double())
        model[3].bias.requires_grad_(False)
        return model

    def groups(model, make):
        return make([{"params": model[0].parameters(), "weight_decay": 0.2},
                     {"params": model[2].parameters(), "lr": 2 * lr},
                     {"params": model[3].parameters()}], lr, 0.0)

    ours, ref = build(), build()
    opt_ours, opt_ref = groups(ours, make_ours), groups(ref, make_ref)
    x = torch.randn(10, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def loss(model):
        h = model[1](model[0](x)).float()
        return model[3](model[2](h).double()).square().mean()

    frozen = ours[3].bias.detach().clone()
    for _ in range(20):
        for model, opt in ((ours, opt_ours), (ref, opt_ref)):
            opt.zero_grad()
            loss(model).backward()
            opt.step()
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        assert p.dtype == q.dtype
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)  # float32 rounding flows through
    assert torch.equal(ours[3].bias, frozen)
    assert ours[3].bias not in opt_ours.state
    assert len(opt_ours.state) == (0 if name == "GradientDescent" else 5)  # 5 with gradients


@pytest.mark.parametrize("name", list(PAIRS))
def test_parameters_that_miss_steps_keep_their_own_state(name):
    """A parameter without a gradient at some steps is skipped, as torch does: its state (and,
    for Momentum, its scale s; for Adam, its step count) then differs from the others'."""
    make_ours, make_ref, lr, _ = PAIRS[name]
    g = torch.Generator().manual_seed(4)
    start = [torch.randn(3, generator=g, dtype=torch.float64) for _ in range(2)]
    ours = [t.clone().requires_grad_() for t in start]
    ref = [t.clone().requires_grad_() for t in start]
    opt_ours, opt_ref = make_ours(ours, lr, 0.0), make_ref(ref, lr, 0.0)
    target = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)
    for k in range(30):
        for params, opt in ((ours, opt_ours), (ref, opt_ref)):
            opt.zero_grad(set_to_none=True)
            used = params if k % 3 else params[:1]  # the second one misses every third step
            sum((p - target).square().sum() * (1 + k % 4) for p in used).backward()
            opt.step()
    for p, q in zip(ours, ref, strict=True):
        assert torch.isfinite(q).all()
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-12)
    assert (ours[0] - ours[1]).abs().max() > 1e-3  # the two did not move in lockstep


# (mllab class, torch.optim class, {mllab name: torch name} of the hyperparameters both have,
#  the ones whose defaults differ on purpose, as each class's docstring says)
COUNTERPARTS = [
    (GradientDescent, torch.optim.SGD, {"lr": "lr", "weight_decay": "weight_decay"}, set()),
    (Momentum, torch.optim.SGD, {"lr": "lr", "momentum": "momentum",
                                 "weight_decay": "weight_decay"}, {"momentum"}),
    (Adagrad, torch.optim.Adagrad, {"lr": "lr", "eps": "eps", "weight_decay": "weight_decay"},
     set()),
    (ConstantRateAdagrad, torch.optim.Adagrad, {"lr": "lr", "eps": "eps"}, set()),
    (RMSProp, torch.optim.RMSprop, {"lr": "lr", "alpha": "alpha", "eps": "eps",
                                    "weight_decay": "weight_decay"}, {"alpha"}),
    (Adam, torch.optim.Adam, {"lr": "lr", "betas": "betas", "eps": "eps",
                              "weight_decay": "weight_decay"}, set()),
]


@pytest.mark.parametrize(("ours", "ref", "names", "differ"), COUNTERPARTS,
                         ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_defaults_are_torch_defaults_except_the_documented_ones(ours, ref, names, differ):
    theta = torch.zeros(2, requires_grad=True)
    torch_defaults = {k: p.default for k, p in inspect.signature(ref).parameters.items()}
    got = ours([theta]).defaults
    for name, torch_name in names.items():
        if name in differ:
            assert got[name] != torch_defaults[torch_name], name
            assert f"``{name}={got[name]}``" in ours.__doc__  # documented in the class
        else:
            assert got[name] == torch_defaults[torch_name], name
