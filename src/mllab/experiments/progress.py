r"""A run's progress, trial by trial, so a run of minutes is never silent.

On a terminal a tqdm bar counts the trials with the time estimate (tqdm's remaining time,
from the mean time per trial so far); elsewhere (a log file, CI) each finished trial prints
one line to stdout. Trials restored from an earlier process count as done. An experiment
says how many trials it will run with ``ctx.plan(trials=N)`` (called again where a trial
depends on what came before, it adds to the plan); the counts are recorded in
``result.json`` (``progress``), where an interrupted run's report shows how far it got.
"""

from __future__ import annotations

import os
import sys
import time

from tqdm import tqdm


class TrialProgress:
    r"""Counts finished trials and shows them.

    Args:
        name: the experiment, shown before the count.
        bar: a tqdm bar on stderr (a terminal) instead of one line per trial on stdout.
    """

    def __init__(self, name: str, *, bar: bool) -> None:
        self.name, self.planned, self.done = name, 0, 0
        self._bar = None
        if bar:  # a terminal that reports no size (a bare pty) would make tqdm print nothing
            size = os.get_terminal_size(sys.stderr.fileno())
            self._bar = tqdm(desc=name, unit="trial", ncols=size.columns or 80,
                             nrows=size.lines or 24, mininterval=0, miniters=1)
        self._began = time.perf_counter()

    @property
    def on_terminal(self) -> bool:
        r"""Whether a bar is shown (training loops then show their own step bars)."""
        return self._bar is not None

    def plan(self, trials: int) -> None:
        r"""Add ``trials`` to the run's plan: the bar's total, which gives its estimate."""
        self.planned += trials
        if self._bar is not None:
            self._bar.total = self.planned
            self._bar.refresh()

    def finished(self, trial: str, seconds: float, *, restored: bool) -> None:
        r"""One more trial done (``restored``: it finished in an earlier process)."""
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(trial, refresh=False)
            self._bar.update()
            return
        how = "restored" if restored else f"{seconds:.1f} s"
        print(f"{self.name} {self.done}/{self.planned or '?'}: {trial} ({how}, "
              f"{time.perf_counter() - self._began:.0f} s so far)", file=sys.stdout, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def to_dict(self) -> dict:
        return {"trials_done": self.done, "trials_planned": self.planned}
