"""Learning-rate schedules: first values by hand, the Transformer's formula, state round trip
through JSON, argument checks."""

import json
import math

import pytest
import torch

from mllab.optim import (
    ExponentialDecay,
    GradientDescent,
    InverseSqrtDecay,
    StepDecay,
    WarmupCosine,
    WarmupInverseSqrt,
)


def _optimizer(lr=1.0, lr2=None):
    groups = [{"params": [torch.zeros(1, requires_grad=True)]}]
    if lr2 is not None:
        groups.append({"params": [torch.zeros(1, requires_grad=True)], "lr": lr2})
    return GradientDescent(groups, lr=lr)


def _rates(make, steps, lr=1.0):
    opt = _optimizer(lr)
    sched = make(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_inverse_sqrt_decay_by_hand():
    rates = _rates(InverseSqrtDecay, 5, lr=0.3)
    assert rates == pytest.approx([0.3, 0.3 / math.sqrt(2), 0.3 / math.sqrt(3), 0.15,
                                   0.3 / math.sqrt(5)], rel=1e-15)


def test_step_decay_by_hand_and_equal_to_step_lr():
    rates = _rates(lambda o: StepDecay(o, step_size=3, gamma=0.5), 8, lr=2.0)
    assert rates == pytest.approx([2, 2, 2, 1, 1, 1, 0.5, 0.5], rel=1e-15)
    assert rates == pytest.approx(
        _rates(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5), 8, lr=2.0), rel=1e-15)


def test_exponential_decay_by_hand_and_equal_to_exponential_lr():
    rates = _rates(lambda o: ExponentialDecay(o, gamma=0.9), 5, lr=0.5)
    assert rates == pytest.approx([0.5, 0.45, 0.405, 0.3645, 0.32805], rel=1e-14)
    assert rates == pytest.approx(
        _rates(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9), 5, lr=0.5), rel=1e-14)


def test_warmup_inverse_sqrt_by_hand_peaks_at_base_lr_on_step_w():
    rates = _rates(lambda o: WarmupInverseSqrt(o, warmup_steps=4), 9, lr=0.8)
    # s = 1..9: η min(√(w/s), s/w)
    expected = [0.2, 0.4, 0.6, 0.8, 0.8 * math.sqrt(4 / 5), 0.8 * math.sqrt(4 / 6),
                0.8 * math.sqrt(4 / 7), 0.8 * math.sqrt(4 / 8), 0.8 * math.sqrt(4 / 9)]
    assert rates == pytest.approx(expected, rel=1e-14)
    assert max(rates) == rates[3] == pytest.approx(0.8)


def test_warmup_inverse_sqrt_reproduces_the_transformer_paper_rates():
    d, w = 512, 4000
    opt = _optimizer(lr=(d * w) ** -0.5)
    sched = WarmupInverseSqrt(opt, warmup_steps=w)
    assert opt.param_groups[0]["lr"] == pytest.approx(d**-0.5 * w**-1.5, rel=1e-12)  # s = 1
    for s in (1, 2, 3999, 4000, 4001, 100_000):
        paper = d**-0.5 * min(s**-0.5, s * w**-1.5)
        ours = sched.base_lrs[0] * sched.factor(s - 1)  # after s − 1 scheduler steps
        assert ours == pytest.approx(paper, rel=1e-12), f"s = {s}"


def test_warmup_cosine_by_hand():
    rates = _rates(lambda o: WarmupCosine(o, warmup_steps=2, total_steps=6, min_lr=0.1), 8)
    c = [0.5 * (1 + math.cos(math.pi * k / 4)) for k in (1, 2, 3)]
    expected = [0.5, 1.0, 0.1 + 0.9 * c[0], 0.1 + 0.9 * c[1], 0.1 + 0.9 * c[2], 0.1, 0.1, 0.1]
    assert rates == pytest.approx(expected, rel=1e-14)
    assert rates[3] == pytest.approx(0.55)  # half way down the cosine
    no_warmup = _rates(lambda o: WarmupCosine(o, warmup_steps=0, total_steps=4), 5)
    assert no_warmup == pytest.approx([0.5 * (1 + math.cos(math.pi * s / 4)) for s in
                                       (1, 2, 3, 4, 4)], abs=1e-15)


@pytest.mark.parametrize("make", [
    InverseSqrtDecay,
    lambda o: StepDecay(o, step_size=2, gamma=0.3),
    lambda o: ExponentialDecay(o, gamma=0.7),
    lambda o: WarmupInverseSqrt(o, warmup_steps=3),
    lambda o: WarmupCosine(o, warmup_steps=2, total_steps=7),  # min_lr is absolute: 0 here
])
def test_groups_scale_from_their_own_base_and_state_round_trips_through_json(make):
    opt = _optimizer(lr=1.0, lr2=0.1)
    sched = make(opt)
    for _ in range(4):
        opt.step()
        sched.step()
    a, b = (group["lr"] for group in opt.param_groups)
    assert b == pytest.approx(0.1 * a, rel=1e-14)
    saved = json.loads(json.dumps(sched.state_dict()))
    opt2 = _optimizer(lr=1.0, lr2=0.1)
    sched2 = make(opt2)
    sched2.load_state_dict(saved)
    for _ in range(4):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize(("make", "message"), [
    (lambda o: StepDecay(o, step_size=0), r"step_size must be an integer >= 1, got 0"),
    (lambda o: StepDecay(o, step_size=2.5), r"step_size must be an integer >= 1, got 2.5"),
    (lambda o: StepDecay(o, step_size=2, gamma=0), r"gamma must be in \(0, 1\], got 0"),
    (lambda o: ExponentialDecay(o, gamma=1.5), r"gamma must be in \(0, 1\], got 1.5"),
    (lambda o: WarmupInverseSqrt(o, warmup_steps=0),
     r"warmup_steps must be an integer >= 1, got 0"),
    (lambda o: WarmupCosine(o, warmup_steps=-1, total_steps=5), r"warmup_steps must be an "
     r"integer >= 0, got -1"),
    (lambda o: WarmupCosine(o, warmup_steps=5, total_steps=5),
     r"total_steps must be an integer > warmup_steps \(5\), got 5"),
    (lambda o: WarmupCosine(o, warmup_steps=1, total_steps=5, min_lr=-0.1),
     r"min_lr must be a finite number >= 0, got -0.1"),
])
def test_validation_names_the_argument_and_range(make, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        make(_optimizer())
