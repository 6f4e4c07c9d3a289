"""Descending a loss of the parameters themselves: the update rules by hand, the schedule, and
an exact resume through the loop."""

import pytest
import torch

from mllab.optim import ExponentialDecay, GradientDescent, Momentum
from mllab.train import (
    DescentState,
    LoopConfig,
    TrainingInterrupted,
    descent_step,
    graceful_stop,
    request_stop,
    run_loop,
)


def _half_square(theta):
    return theta.square().sum() / 2


def _state(make, theta0=2.0, schedule=None) -> DescentState:
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    optimizer = make([theta])
    return DescentState(theta=theta, optimizer=optimizer,
                        scheduler=schedule(optimizer) if schedule else None)


def test_gradient_descent_and_momentum_follow_the_update_rules():
    # L = θ²/2: gradient descent multiplies θ by (1 − η) each update.
    s = _state(lambda p: GradientDescent(p, lr=0.1))
    result = run_loop(descent_step(_half_square), s, LoopConfig(steps=5))
    assert s.theta.item() == pytest.approx(2.0 * 0.9**5, rel=1e-15)
    assert [h["theta"] for h in result.history] == pytest.approx([2.0 * 0.9**k
                                                                  for k in range(1, 6)])
    assert result.history[0]["train_loss"] == 2.0  # L(θ⁰), before the first update
    # Momentum by hand: m ← λm − ηθ, θ ← θ + m.
    theta, m = 2.0, 0.0
    for _ in range(5):
        m = 0.9 * m - 0.1 * theta
        theta += m
    s = _state(lambda p: Momentum(p, lr=0.1, momentum=0.9))
    run_loop(descent_step(_half_square), s, LoopConfig(steps=5))
    assert s.theta.item() == pytest.approx(theta, rel=1e-14)


def test_the_scheduler_steps_after_each_update():
    s = _state(lambda p: GradientDescent(p, lr=0.1), schedule=lambda o: ExponentialDecay(o, 0.5))
    result = run_loop(descent_step(_half_square), s, LoopConfig(steps=3))
    assert [h["lr"] for h in result.history] == [0.1, 0.05, 0.025]
    assert s.theta.item() == pytest.approx(2.0 * 0.9 * 0.95 * 0.975, rel=1e-15)


def test_a_descent_resumes_exactly(tmp_path):
    def make():
        return _state(lambda p: Momentum(p, lr=0.05, momentum=0.9), theta0=(3.0, -1.0))

    surface = lambda t: (t[0] - 1) ** 2 + 10 * t[1] ** 2  # noqa: E731
    reference = make()
    run_loop(descent_step(surface), reference, LoopConfig(steps=20))
    stopping = descent_step(surface)

    def step(s):
        if s.step == 7:
            request_stop()
        return stopping(s)

    with graceful_stop(), pytest.raises(TrainingInterrupted):
        run_loop(step, make(), LoopConfig(steps=20, checkpoint_seconds=3600),
                 checkpoint_dir=tmp_path)
    resumed = make()
    run_loop(descent_step(surface), resumed, LoopConfig(steps=20), checkpoint_dir=tmp_path)
    assert torch.equal(resumed.theta, reference.theta)
