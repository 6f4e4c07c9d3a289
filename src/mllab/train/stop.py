r"""Graceful stop on SIGINT/SIGTERM: the first signal asks the Trainer to checkpoint and stop
at the next step boundary; a second one interrupts at once."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

_requested = False


def stop_requested() -> bool:
    r"""Whether a stop was asked for since the handlers were installed."""
    return _requested


def request_stop() -> None:
    r"""Ask the running Trainer to save a checkpoint and stop (what SIGINT/SIGTERM do)."""
    global _requested
    if _requested:
        raise KeyboardInterrupt
    _requested = True


def _on_signal(signum, frame) -> None:  # noqa: ARG001
    request_stop()


@contextmanager
def graceful_stop() -> Iterator[None]:
    r"""Install the SIGINT/SIGTERM handlers for the duration of a run."""
    global _requested
    _requested = False
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        _requested = False
