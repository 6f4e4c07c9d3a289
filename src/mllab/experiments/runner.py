r"""Running experiments into run folders: start, resume, and the whole course.

``result.json`` is written when a run starts (status ``running``), again if it is
interrupted (``interrupted``) and when it ends (``complete``), always atomically.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from mllab.config import ConfigError, is_int, is_real, require, shorten
from mllab.experiments.base import VERDICTS, Experiment, Result, Settings
from mllab.experiments.context import RunContext, write_json
from mllab.experiments.progress import TrialProgress
from mllab.experiments.registry import all_experiments, all_jobs, experiments_of, name_choices
from mllab.experiments.run_folder import (
    RunError,
    check_kinds,
    make_folder,
    run_lock,
    unmake_folder,
)
from mllab.train import (
    CheckpointError,
    TrainingInterrupted,
    graceful_stop,
    seed_everything,
    set_threads,
)
from mllab.train.seed import MAX_THREADS

STATUSES = ("running", "interrupted", "failed", "complete")
"""What a run's ``status`` can be; every status but ``complete`` can be resumed."""
_PLAIN_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


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
    if not (text.isascii() and text.isdigit() and len(text) <= 3
            and 1 <= int(text) <= MAX_THREADS):
        raise RunError(f"MLLAB_THREADS must be an integer in [1, {MAX_THREADS}], "
                       f"got {shorten(text)}")
    return int(text)


def checkpoint_seconds() -> float:
    r"""``MLLAB_CHECKPOINT_SECONDS`` (default 5): least seconds between two checkpoints of a
    trial; ``0`` checkpoints after every step."""
    text = os.environ.get("MLLAB_CHECKPOINT_SECONDS", "5")
    if not (_PLAIN_NUMBER.fullmatch(text) and math.isfinite(float(text))):
        raise RunError(f"MLLAB_CHECKPOINT_SECONDS must be a number of seconds >= 0 "
                       f"(e.g. 5 or 0.5), got {shorten(text)}")
    return float(text)


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
    r"""The ``result.json`` of a run folder, checked field by field; :class:`RunError` if
    there is none or it was damaged or edited into something no run writes."""
    file = run_dir / "result.json"
    if not run_dir.is_dir():
        raise RunError(f"run folder {run_dir} does not exist")
    try:
        if not file.is_file():  # a folder, or a FIFO that would block the read
            raise ValueError
        result = json.loads(file.read_text())
        if not isinstance(result, dict) or "experiment" not in result:
            raise ValueError
    except (OSError, ValueError, RecursionError):
        raise RunError(f"{run_dir} is not a run folder (no valid result.json)") from None
    try:
        _experiment_and_settings(result)
    except ConfigError as e:
        raise RunError(f"{file} is damaged or was edited: {e}") from None
    return result


def _experiment_and_settings(result: dict) -> tuple[Experiment, Settings]:
    r"""The experiment a ``result.json`` names and its settings, each field checked."""
    name = result["experiment"]
    experiments = {e.name: e for e in all_experiments() + all_jobs()}
    require(isinstance(name, str) and name in experiments, "experiment",
            f"one of {name_choices(list(experiments), name)}", name)
    exp = experiments[name]
    require(result.get("lecture") == exp.lecture, "lecture", f"{exp.lecture!r} (that of {name})",
            result.get("lecture"))
    require(isinstance(result.get("settings"), dict), "settings",
            f"an object of {name}'s settings", result.get("settings"))
    require(is_int(result.get("seed")) and 0 <= result["seed"] < 2**32, "seed",
            "an integer in [0, 2**32)", result.get("seed"))
    require(is_int(result.get("threads")) and 1 <= result["threads"] <= MAX_THREADS, "threads",
            f"an integer in [1, {MAX_THREADS}]", result.get("threads"))
    require(isinstance(result.get("quick"), bool), "quick", "true or false", result.get("quick"))
    require(result.get("status") in STATUSES, "status", f"one of {', '.join(STATUSES)}",
            result.get("status"))
    require(result.get("verdict") in (None, *VERDICTS), "verdict",
            f"null or one of {', '.join(VERDICTS)}", result.get("verdict"))
    require(is_real(result.get("duration_s")) and result["duration_s"] >= 0, "duration_s",
            "a number of seconds >= 0", result.get("duration_s"))
    for key in ("checks", "preconditions", "demonstrations", "figures"):
        value = result.get(key, [])
        require(isinstance(value, list) and all(isinstance(v, dict) for v in value), key,
                "a list of objects", value)
    try:
        return exp, exp.settings.from_dict(result["settings"])
    except ConfigError as e:
        raise ConfigError(f"its settings do not fit {name} ({e})") from None


def start_run(exp: Experiment, settings: Settings, *, seed: int, quick: bool,
              out: Path | None = None) -> dict:
    r"""Run ``exp`` into a new folder (``out`` or the default) and return its result."""
    threads, seconds = default_threads(), checkpoint_seconds()
    run_dir = out if out is not None else default_run_dir(exp.name, seed)
    created = make_folder(run_dir)
    with run_lock(run_dir):
        if (run_dir / "result.json").exists():
            raise RunError(f"output folder {run_dir} holds a run; choose another --out "
                           f"or continue it with: mllab resume {run_dir}")
        if any(run_dir.iterdir()):
            raise RunError(f"output folder {run_dir} is not empty (and holds no run); choose "
                           f"a new or empty folder")
        header = {
            "experiment": exp.name, "lecture": exp.lecture, "claim": exp.claim,
            "verdict": None, "criterion": None, "verdict_code": exp.verdict_code(),
            "metrics": {}, "tables": [], "figures": [], "settings": settings.to_dict(),
            "seed": seed, "quick": quick, "threads": threads,
            "versions": versions(), "duration_s": 0.0, "status": "running",
        }
        write_json(run_dir / "result.json", header)
        try:
            return _execute(exp, settings, run_dir, header, seconds)
        except (ConfigError, CheckpointError):  # refused (a setting the run found invalid)
            unmake_folder(run_dir, created)
            raise


def resume_run(run_dir: Path) -> dict:
    r"""Continue an unfinished run; it ends exactly as an uninterrupted run would.

    A refusal (a damaged ``result.json``, a corrupt or foreign checkpoint, another process on
    the same run) leaves every file of the run as it was.
    """
    seconds = checkpoint_seconds()
    with run_lock(run_dir):
        header = read_result(run_dir)
        if header["status"] == "complete":
            return header
        check_kinds(run_dir)
        exp, settings = _experiment_and_settings(header)
        return _execute(exp, settings, run_dir, header, seconds)


def _execute(exp: Experiment, settings: Settings, run_dir: Path, header: dict,
             seconds: float) -> dict:
    from mllab.report import render_report

    set_threads(header["threads"])
    seed_everything(header["seed"])
    ctx = RunContext(run_dir, header["seed"], quick=header["quick"], checkpoint_seconds=seconds,
                     progress=TrialProgress(exp.name, bar=sys.stderr.isatty()))
    began = time.perf_counter()
    result = dict(header, status="running")
    keep = True  # whether this attempt leaves its files; a refusal leaves the run as it was
    try:
        with graceful_stop():
            outcome: Result = exp.fn(settings, ctx)
    except TrainingInterrupted:
        result.update(status="interrupted", figures=ctx.figures)
        raise
    except (CheckpointError, ConfigError):  # refusals: the run stays as it was
        keep = False
        raise
    except OSError as e:  # a full disk, say: the newest checkpoint is intact
        result.update(status="interrupted", error=f"{type(e).__name__}: {e}")
        raise
    except Exception as e:
        result.update(status="failed", error=f"{type(e).__name__}: {e}")
        raise
    else:
        evidence = exp.judge(outcome.metrics, settings)
        verdict, criterion = evidence.verdict(), evidence.criterion()
        if exp.job:  # the user's own data: a summary, and the checks it used, but no verdict
            verdict, criterion = None, outcome.metrics["summary"]
        if evidence.checks:
            from mllab.report.checks import checks_figure

            ctx.save_figure(checks_figure([c.to_dict() for c in evidence.checks]), "checks",
                            "Every check: per-repeat values (dots), their mean (diamond) and 95% "
                            "interval (bar) against the claim's threshold (dashed) and margin "
                            "(grey band)")
            ctx.figures.insert(0, ctx.figures.pop())
        result.update(verdict=verdict, criterion=criterion,
                      **evidence.to_dict(), metrics=outcome.metrics, tables=outcome.tables,
                      figures=ctx.figures, status="complete")
        result.pop("error", None)
        return result
    finally:
        ctx.close(keep=keep)
        if keep:
            result["duration_s"] = header["duration_s"] + time.perf_counter() - began
            result["progress"] = ctx.progress.to_dict()
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
    make_collection(out, ("index.html",), {out / e.name: (e.name, 0, quick) for e in experiments})
    with run_lock(out):
        return out, _run_all(experiments, quick, out, on_start, render_index)


def make_collection(out: Path, pages: tuple[str, ...], slots: dict[Path, tuple]) -> None:
    r"""Create the folder of many runs (a course, a verify): refuse a single run's folder, a
    page it writes (``index.html``, ...) that is not a file, and a run already in a slot that
    is not the one asked for (``slots``: run folder -> (experiment, seed, quick))."""
    if (out / "result.json").is_file():
        raise RunError(f"--out {out} is the folder of one run, not of many; choose another")
    make_folder(out)
    for page in pages:
        if (out / page).exists() and not (out / page).is_file():
            raise RunError(f"{out / page} is not a file; move it away and try again")
    for run_dir, (name, seed, quick) in slots.items():
        if run_dir.exists() and not run_dir.is_dir():
            raise RunError(f"{run_dir} is not a folder; move it away and try again")
        if (run_dir / "result.json").exists():
            header = read_result(run_dir)
            found = (header["experiment"], header["seed"], header["quick"])
            if found != (name, seed, quick):
                raise RunError(f"{run_dir} holds a run of {found[0]} (seed {found[1]}, "
                               f"quick {found[2]}), not of {name} (seed {seed}, quick {quick});"
                               f" move it away or choose another --out")


def _run_all(experiments: list[Experiment], quick: bool, out: Path, on_start,
             render_index) -> list[dict]:
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
    return results
