r"""Running experiments into run folders: start, resume, and the whole course.

``result.json`` is written when a run starts (status ``running``), again if it is
interrupted (``interrupted``) and when it ends (``complete``), always atomically.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from mllab.experiments.base import Experiment, Result, Settings
from mllab.experiments.context import RunContext, write_json
from mllab.experiments.registry import experiments_of, get_experiment
from mllab.train import TrainingInterrupted, graceful_stop, seed_everything, set_threads


class RunError(ValueError):
    r"""A run folder that cannot be used: missing, not a run, or already taken."""


def versions() -> dict:
    from mllab import __version__

    return {"mllab": __version__, "torch": torch.__version__,
            "python": platform.python_version()}


def default_threads() -> int:
    r"""Threads for a new run: ``MLLAB_THREADS`` if set, else 1.

    The course's models are small, so one thread costs little, and it keeps a run free of the
    stalls torch's thread pool suffers when other processes share the cores (tenfold and
    worse on 2 cores). The count is recorded, and a resumed run uses it again.
    """
    text = os.environ.get("MLLAB_THREADS", "1")
    if not text.isdigit() or int(text) < 1:
        raise RunError(f"MLLAB_THREADS must be an integer >= 1, got {text!r}")
    return int(text)


def default_run_dir(name: str, seed: int, root: Path = Path("runs")) -> Path:
    r"""``runs/NAME/<UTC timestamp>-s<seed>/`` (a suffix keeps it unique)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = root / name / f"{stamp}-s{seed}"
    k = 1
    while path.exists():
        k += 1
        path = root / name / f"{stamp}-s{seed}-{k}"
    return path


def read_result(run_dir: Path) -> dict:
    r"""The ``result.json`` of a run folder; :class:`RunError` if there is none."""
    file = run_dir / "result.json"
    if not run_dir.is_dir():
        raise RunError(f"run folder {run_dir} does not exist")
    try:
        result = json.loads(file.read_text())
        if not isinstance(result, dict) or "experiment" not in result:
            raise ValueError
    except (OSError, ValueError):
        raise RunError(f"{run_dir} is not a run folder (no valid result.json)") from None
    return result


def start_run(exp: Experiment, settings: Settings, *, seed: int, quick: bool,
              out: Path | None = None) -> dict:
    r"""Run ``exp`` into a new folder (``out`` or the default) and return its result."""
    threads = default_threads()
    run_dir = out if out is not None else default_run_dir(exp.name, seed)
    if run_dir.exists() and any(run_dir.iterdir()):
        raise RunError(f"output folder {run_dir} is not empty; choose another --out "
                       f"or continue it with: mllab resume {run_dir}")
    run_dir.mkdir(parents=True, exist_ok=True)
    header = {
        "experiment": exp.name, "lecture": exp.lecture, "claim": exp.claim,
        "verdict": None, "criterion": None, "verdict_code": exp.verdict_code(),
        "metrics": {}, "tables": [], "figures": [], "settings": settings.to_dict(),
        "seed": seed, "quick": quick, "threads": threads,
        "versions": versions(), "duration_s": 0.0, "status": "running",
    }
    write_json(run_dir / "result.json", header)
    return _execute(exp, settings, run_dir, header)


def resume_run(run_dir: Path) -> dict:
    r"""Continue an unfinished run; it ends exactly as an uninterrupted run would."""
    header = read_result(run_dir)
    if header["status"] == "complete":
        return header
    exp = get_experiment(header["experiment"])
    settings = exp.settings.from_dict(header["settings"])
    return _execute(exp, settings, run_dir, header)


def _execute(exp: Experiment, settings: Settings, run_dir: Path, header: dict) -> dict:
    from mllab.report import render_report

    set_threads(header["threads"])
    seed_everything(header["seed"])
    ctx = RunContext(run_dir, header["seed"], quick=header["quick"],
                     progress=sys.stderr.isatty(),
                     checkpoint_seconds=float(os.environ.get("MLLAB_CHECKPOINT_SECONDS", 5.0)))
    began = time.perf_counter()
    result = dict(header, status="running")
    try:
        with graceful_stop():
            outcome: Result = exp.fn(settings, ctx)
    except TrainingInterrupted:
        result.update(status="interrupted", figures=ctx.figures)
        raise
    except Exception as e:
        result.update(status="failed", error=f"{type(e).__name__}: {e}")
        raise
    else:
        evidence = exp.judge(outcome.metrics, settings)
        if evidence.checks:
            from mllab.report.checks import checks_figure

            ctx.save_figure(checks_figure([c.to_dict() for c in evidence.checks]), "checks",
                            "Every check: per-repeat values (dots), their mean (diamond) and 95% "
                            "interval (bar) against the claim's threshold (dashed) and margin "
                            "(grey band)")
            ctx.figures.insert(0, ctx.figures.pop())
        result.update(verdict=evidence.verdict(), criterion=evidence.criterion(),
                      **evidence.to_dict(), metrics=outcome.metrics, tables=outcome.tables,
                      figures=ctx.figures, status="complete")
        return result
    finally:
        ctx.close()
        result["duration_s"] = header["duration_s"] + time.perf_counter() - began
        write_json(run_dir / "result.json", result)
        render_report(run_dir)


def run_course(*, quick: bool, only: str | None = None, out: Path | None = None,
               on_start=None) -> tuple[Path, list[dict]]:
    r"""Run every experiment (or one lecture's) into ``out/<name>/`` and write ``index.html``.

    Run again with the same ``out``: complete runs are kept, unfinished ones resumed. The
    index shows each experiment's stability where ``mllab verify`` has been run (in
    ``runs/verify/``).
    """
    from functools import partial

    from mllab.experiments.verify import stability
    from mllab.report import render_index

    experiments = experiments_of(only)
    render_index = partial(render_index, stability={e.name: stability(e.name)
                                                    for e in experiments})
    if out is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out = Path("runs") / f"course-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    results, run_dirs = [], []
    for exp in experiments:
        run_dir = out / exp.name
        run_dirs.append(run_dir)
        if on_start is not None:
            on_start(exp, run_dir)
        try:
            if (run_dir / "result.json").exists():
                results.append(resume_run(run_dir))
            else:
                settings = exp.settings.quick() if quick else exp.settings()
                results.append(start_run(exp, settings, seed=0, quick=quick, out=run_dir))
        except TrainingInterrupted:
            render_index(out, run_dirs)
            raise
        except Exception as e:  # one failing experiment does not stop the course
            results.append({"experiment": exp.name, "status": "failed", "error": str(e)})
        render_index(out, run_dirs)
    return out, results
