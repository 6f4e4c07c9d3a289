"""Fixtures for the report tests: a run folder with a hand-written result.json and a real PNG.

Tests get the helpers as fixtures (``make_result``, ``write_run``), never by importing this file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mllab.report import new_figure, save_png

CRITERION = "|w_gd - w*| = 3.1e-05 <= 1e-3 & valid MSE 7 days 0.21 < 1 day 0.35"
VERDICT_CODE = (
    "def judge(m, s):\n"
    "    ok = m['gap'] <= 1e-3 and m['seven_days']['valid_mse'] < m['one_day']['valid_mse']\n"
    "    return 'reproduced' if ok else 'not reproduced'\n"
)


def make_result(**overrides: Any) -> dict[str, Any]:
    """A complete result.json payload, as the experiment runner writes it."""
    result = {
        "experiment": "regression-linear",
        "lecture": "Regression",
        "claim": "Gradient descent on y = b + wx reaches the least-squares optimum; "
        "7 previous days predict better than 1.",
        "verdict": "reproduced",
        "criterion": CRITERION,
        "verdict_code": VERDICT_CODE,
        "metrics": {
            "one_day": {"w_gd": 0.9712345, "b_gd": 0.1, "valid_mse": 0.35},
            "seven_days": {"valid_mse": 0.21},
            "gap": 3.1e-05,
        },
        "tables": [
            {
                "title": "Validation loss by model",
                "columns": ["model", "train MSE", "valid MSE"],
                "rows": [["1 day", 0.3101, 0.3512], ["7 days", 0.1832, 0.2104]],
            }
        ],
        "figures": [
            {"file": "error_surface.png", "caption": "Error surface L(w, b) with the path"}
        ],
        "settings": {"epochs": 3000, "lr": 0.01},
        "seed": 7,
        "quick": False,
        "threads": 2,
        "versions": {"mllab": "0.1.0", "torch": "2.13.0+cpu", "python": "3.11.7"},
        "duration_s": 12.3,
        "status": "complete",
    }
    result.update(overrides)
    return result


def write_run(run_dir: Path, result: dict[str, Any], figure: bool = True) -> Path:
    """Write ``result`` (and a real PNG for its first figure) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if figure:
        fig, ax = new_figure()
        w = np.linspace(-1.0, 3.0, 40)
        ax.contourf(w, w, (w[None, :] - 1.0) ** 2 + w[:, None] ** 2, levels=12)
        ax.plot([-0.5, 0.2, 0.8, 1.0], [1.5, 0.8, 0.2, 0.0], "r.-")
        save_png(fig, run_dir / "error_surface.png")
    (run_dir / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return run_dir


@pytest.fixture(name="make_result")
def make_result_fixture() -> Callable[..., dict[str, Any]]:
    """The :func:`make_result` factory: ``make_result(verdict="inconclusive", ...)``."""
    return make_result


@pytest.fixture(name="write_run")
def write_run_fixture() -> Callable[..., Path]:
    """The :func:`write_run` helper: ``write_run(run_dir, result, figure=True)``."""
    return write_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A complete, reproduced run with one real figure."""
    return write_run(tmp_path / "run", make_result())
