"""Graceful stop: the first SIGINT/SIGTERM asks for a checkpoint and a stop, a second one
interrupts at once, and the handlers are restored afterwards."""

import os
import signal

import pytest

from mllab.train import (
    LoopConfig,
    LoopState,
    TrainingInterrupted,
    graceful_stop,
    request_stop,
    run_loop,
    stop_requested,
)
from mllab.train.stop import StopNow


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_asks_for_a_stop_and_a_second_one_interrupts(signum):
    before = signal.getsignal(signum)
    with graceful_stop():
        assert not stop_requested()
        os.kill(os.getpid(), signum)
        assert stop_requested()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signum)
    assert not stop_requested()
    assert signal.getsignal(signum) is before


def test_request_stop_is_what_the_signal_does():
    with graceful_stop():
        request_stop()
        assert stop_requested()
    assert not stop_requested()


def test_a_second_request_before_the_first_is_answered_is_stop_now():
    with graceful_stop():
        request_stop()
        with pytest.raises(StopNow):
            request_stop()


def test_a_request_outside_graceful_stop_stops_one_loop_only():
    def step(state: LoopState) -> dict:
        return {"loss": float(state.step)}

    request_stop()
    with pytest.raises(TrainingInterrupted, match="at step 0"):
        run_loop(step, LoopState(), LoopConfig(steps=3))
    assert not stop_requested()
    result = run_loop(step, LoopState(), LoopConfig(steps=3))  # the next fit trains in full
    assert result.steps == 3


def test_inside_graceful_stop_the_request_stands_after_the_loop_answers_it():
    def step(state: LoopState) -> dict:
        return {"loss": 0.0}

    with graceful_stop():
        request_stop()
        with pytest.raises(TrainingInterrupted):
            run_loop(step, LoopState(), LoopConfig(steps=3))
        assert stop_requested()
        with pytest.raises(StopNow):  # a second Ctrl-C while the run winds up
            request_stop()
    assert not stop_requested()
