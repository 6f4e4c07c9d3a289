r"""Turning result values into short, readable text for report tables.

Floats get 4 significant digits (``f"{v:.4g}"``), nested metrics become dotted keys
(``one_day.valid_mse``), durations read as seconds, minutes or hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

MAX_LIST_ITEMS = 8
"""Lists longer than this are shortened to their first items and a count."""


def format_value(v: Any) -> str:
    r"""Format one value from ``result.json`` as text (not yet HTML-escaped).

    Floats use 4 significant digits, booleans read ``true``/``false``, ``None`` reads as an em
    dash, lists are comma-separated (shortened past :data:`MAX_LIST_ITEMS` items), and dicts
    are written as ``key=value`` pairs.
    """
    if v is None:
        return "\u2014"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        items = [format_value(x) for x in v[:MAX_LIST_ITEMS]]
        if len(v) > MAX_LIST_ITEMS:
            items.append(f"\u2026 ({len(v)} values)")
        return "[" + ", ".join(items) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}={format_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def flatten(tree: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    r"""Yield ``(dotted_key, leaf)`` pairs of a nested mapping, in insertion order.

    ``{"a": {"b": 1}, "c": 2}`` gives ``("a.b", 1), ("c", 2)``. A non-mapping ``tree`` is
    yielded as one leaf under ``prefix`` (or ``"value"`` when there is no prefix); an empty
    nested mapping is yielded as a leaf so that its key still shows.
    """
    if not isinstance(tree, Mapping) or (prefix and not tree):
        yield (prefix or "value"), tree
        return
    for key, sub in tree.items():
        yield from flatten(sub, f"{prefix}.{key}" if prefix else str(key))


def format_duration(seconds: Any) -> str:
    r"""Format a duration in seconds as ``12.3 s``, ``4 min 05 s`` or ``2 h 03 min``."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return format_value(seconds)
    if not math.isfinite(seconds) or seconds < 60:
        return f"{seconds:.3g} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
