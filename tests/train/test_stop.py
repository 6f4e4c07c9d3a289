"""Graceful stop: the first SIGINT/SIGTERM asks for a checkpoint and a stop, a second one
interrupts at once, and the handlers are restored afterwards."""

import os
import signal

import pytest

from mllab.train import graceful_stop, request_stop, stop_requested


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
