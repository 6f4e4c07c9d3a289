r"""Reading a run's ``result.json``: the one input of every report.

``result.json`` is written by the experiment runner; its fields are listed in
``ARCHITECTURE.md`` ("A run on disk"). Reports trust its *shape* as little as possible: the file
must exist and hold a JSON object, and every field read from it has a fallback, so a report of a
half-written or older result still renders and shows what is there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULT_FILE = "result.json"
"""Name of the result file inside a run folder."""


class ReportError(ValueError):
    r"""A run folder cannot be reported on; the message is one line naming the file."""


def load_result(run_dir: str | Path) -> dict[str, Any]:
    r"""Read ``run_dir/result.json`` and return it as a dict.

    Args:
        run_dir: The run folder.

    Returns:
        The decoded JSON object.

    Raises:
        ReportError: If the file is missing or unreadable, is not valid UTF-8 JSON, or does
            not hold a JSON object.
    """
    path = Path(run_dir) / RESULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except UnicodeDecodeError as err:
        raise ReportError(f"{path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise ReportError(f"{path}: cannot read ({err.strerror or err})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ReportError(
            f"{path}: invalid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        ) from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data
