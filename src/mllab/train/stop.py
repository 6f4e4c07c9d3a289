r"""Graceful stop on SIGINT/SIGTERM: the first signal asks the running loop to checkpoint and
stop at the next step boundary; a second one interrupts at once.

Outside :func:`graceful_stop` (a notebook, say) a request belongs to the one loop that stops
for it: once :func:`mllab.train.run_loop` has saved its checkpoint and raised
``TrainingInterrupted``, the request is cleared, so a later ``fit()`` trains normally. Inside
it (a CLI run) the request stands until the run ends, so a second Ctrl-C while the run winds
up still stops at once.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

_requested = False
_handlers = False


class StopNow(KeyboardInterrupt):
    r"""A second stop request while the first is pending: stop at once, without a checkpoint
    (the newest periodic one is where a resume continues)."""


def stop_requested() -> bool:
    r"""Whether a stop was asked for and not yet answered by a loop."""
    return _requested


def request_stop() -> None:
    r"""Ask the running loop to save a checkpoint and stop (what SIGINT/SIGTERM do); a second
    request before the first is answered raises :class:`StopNow`."""
    global _requested
    if _requested:
        raise StopNow
    _requested = True


def stop_answered() -> None:
    r"""Called by the loop that stopped for the request: clears it outside
    :func:`graceful_stop`."""
    global _requested
    if not _handlers:
        _requested = False


def _on_signal(signum, frame) -> None:  # noqa: ARG001
    request_stop()


@contextmanager
def graceful_stop() -> Iterator[None]:
    r"""Install the SIGINT/SIGTERM handlers for the duration of a run."""
    global _requested, _handlers
    _requested, _handlers = False, True
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        _requested, _handlers = False, False
