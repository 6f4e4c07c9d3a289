r"""The timing method every benchmark shares (CONVENTIONS.md, "Benchmarks").

- :func:`clocked`: seconds of one call, after a garbage collection (so that a collection
  triggered by the previous contestant's garbage is not charged to this one);
- :func:`flipped` / :func:`interleave`: the contestants run in turn, repeat after repeat, the
  order flipped every repeat, so that a slow phase of the machine (another process, the CPU's
  clock) is shared between them rather than charged to whoever ran in it;
- :func:`fastest` and :func:`paired_median`: the two statistics read from the repeats. On a
  shared machine other processes only ever add time, so each side's fastest repeat is the
  estimate of its own cost; the median of the per-repeat ratios is less moved by a stall
  that hit one repeat of one side.

An A/A pair (a contestant timed against itself with the same method) shows the noise floor
of a run; each script prints it beside its headline ratio.

The scripts in ``benchmarks/`` run as ``python benchmarks/<name>.py``, which puts this folder
on ``sys.path``, so they ``import timing``.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K")
T = TypeVar("T")


def clocked(fn: Callable[[], T], *, collect: bool = True) -> tuple[float, T]:
    r"""``(seconds, fn())``: the wall time of one call (``time.perf_counter``), after a
    ``gc.collect()`` unless ``collect`` is false."""
    if collect:
        gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def flipped(names: Iterable[K], repeat: int) -> list[K]:
    r"""``names`` in their order on even repeats, reversed on odd ones."""
    return list(names)[:: 1 if repeat % 2 == 0 else -1]


def interleave(names: Sequence[K], repeats: int, measure: Callable[[K], float]
               ) -> dict[K, list[float]]:
    r"""``measure(name)`` for every name in turn, ``repeats`` times, the order flipped every
    repeat; the values (seconds, say) of each name, one per repeat."""
    values: dict[K, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in flipped(names, r):
            values[name].append(measure(name))
    return values


def fastest(values: dict[K, list[float]]) -> dict[K, float]:
    r"""Each name's smallest value (its fastest repeat)."""
    return {name: min(v) for name, v in values.items()}


def ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    r"""The per-repeat ratios ``a[i] / b[i]`` of two sides timed in the same repeats."""
    return [x / y for x, y in zip(a, b, strict=True)]


def paired_median(a: Sequence[float], b: Sequence[float]) -> float:
    r"""The median of the per-repeat ratios ``a[i] / b[i]``."""
    return statistics.median(ratios(a, b))


def report(seconds: dict[str, list[float]], peer: str, unit: str = "ms") -> None:
    r"""Print each side's fastest, median and slowest repeat, the paired median, the A/A pair
    (``peer`` against ``peer + "-again"``) and, last, ``ratio mllab/<peer>``."""
    best = fastest(seconds)
    width = max(map(len, seconds))
    for name, secs in seconds.items():
        print(f"{name:>{width}}: min {1e3 * best[name]:8.3f} {unit}   (median "
              f"{1e3 * statistics.median(secs):.3f}, max {1e3 * max(secs):.3f})")
    print(f"per-repeat ratios mllab/{peer}: median "
          f"{paired_median(seconds['mllab'], seconds[peer]):.3f}")
    print(f"A/A, the noise floor ({peer} again / {peer}): "
          f"{best[peer + '-again'] / best[peer]:.3f}")
    print(f"ratio mllab/{peer}: {best['mllab'] / best[peer]:.3f}")


__all__ = ["clocked", "fastest", "flipped", "interleave", "paired_median", "ratios", "report"]
