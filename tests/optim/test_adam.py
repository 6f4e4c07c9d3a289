"""Adam by hand on a 1-D quadratic; L2 weight decay is torch's Adam, not AdamW."""

import math

import pytest
import torch

from mllab.optim import Adam

A, THETA0 = 3.0, 2.0


def test_quadratic_by_hand():
    eta, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    theta = torch.tensor([THETA0], dtype=torch.float64, requires_grad=True)
    opt = Adam([theta], lr=eta, betas=(beta1, beta2), eps=eps)
    th, m, v = THETA0, 0.0, 0.0
    for t in range(1, 8):
        opt.zero_grad()
        (0.5 * A * theta.square()).sum().backward()
        opt.step()
        g = A * th
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        th = th - eta * m_hat / (math.sqrt(v_hat) + eps)
        assert theta.item() == pytest.approx(th, rel=1e-12), f"step {t}"
    state = opt.state[theta]
    assert state["step"] == 7 and isinstance(state["step"], int)
    assert state["m"].item() == pytest.approx(m, rel=1e-12)
    assert state["v"].item() == pytest.approx(v, rel=1e-12)
    assert THETA0 - 0.1 * 7 < th < THETA0  # each early step is about η long


def _run(make, steps=10):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    model.double()
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    opt = make(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_without_lr_it_is_torch_adam_with_its_defaults():
    ours = _run(Adam, steps=5)
    ref = _run(torch.optim.Adam, steps=5)
    start = _run(Adam, steps=0)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-15)
    # Adam's first steps are about lr long: 5 of them move a parameter by about 5 lr = 5e-3
    assert (ref - start).abs().max().item() == pytest.approx(5e-3, rel=0.05)


def test_weight_decay_is_l2_like_torch_adam_not_decoupled_like_adamw():
    ours = _run(lambda p: Adam(p, lr=0.01, weight_decay=0.5))
    adam = _run(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.5))
    adamw = _run(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5))
    torch.testing.assert_close(ours, adam, rtol=1e-9, atol=1e-12)
    assert (ours - adamw).abs().max() > 1e-4


def test_validation_names_the_argument():
    theta = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\), got 1.5"):
        Adam([theta], lr=0.1, betas=(0.9, 1.5))
    with pytest.raises(ValueError, match=r"betas must be a pair"):
        Adam([theta], lr=0.1, betas=(0.9,))
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        Adam([theta], lr=0.1, eps=-1.0)
