r"""``mllab verify``: is a verdict stable? The full mode run under several master seeds.

Each seed's run is an ordinary run folder, ``<out>/seed-<k>/`` (finished runs are kept and
unfinished ones resumed when verify is run again with the same ``out``). ``verify.json`` and
``verify.html`` in ``out`` count, for the verdict and for every check, how many seeds agree
with the most common outcome; a verdict is **stable** when at least 80% of the seeds agree
(4 of 5).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

from mllab.experiments.base import Experiment
from mllab.experiments.context import write_json
from mllab.experiments.run_folder import run_lock
from mllab.experiments.runner import make_collection, resume_run, start_run

STABLE_SHARE = 0.8
"""A verdict is stable when at least this share of the seeds agree (4 of 5)."""
VERIFY_ROOT = Path("runs") / "verify"
"""Where ``mllab verify NAME`` writes by default: ``runs/verify/NAME/``."""


def _agreement(outcomes: list[str]) -> tuple[str, int]:
    outcome, count = Counter(outcomes).most_common(1)[0]
    return outcome, count


def summarize(name: str, seeds: list[int], results: list[dict]) -> dict:
    r"""What ``verify.json`` holds: per seed the verdict and every check's outcome, and how
    many seeds agree with the most common one."""
    verdicts = [r["verdict"] for r in results]
    verdict, agree = _agreement(verdicts)
    checks = []
    for i, check in enumerate(results[0].get("checks", [])):
        outcomes = [r["checks"][i]["outcome"] for r in results]
        common, count = _agreement(outcomes)
        checks.append({"claim": check["claim"], "outcomes": outcomes, "most_common": common,
                       "agree": count})
    return {"experiment": name, "seeds": seeds, "verdicts": verdicts, "verdict": verdict,
            "agree": agree, "stable": agree >= math.ceil(STABLE_SHARE * len(seeds)),
            "checks": checks, "quick": results[0].get("quick", False)}


def verify(exp: Experiment, *, seeds: int, out: Path | None = None, quick: bool = False,
           on_start=None) -> dict:
    r"""Run ``exp`` under master seeds ``0 .. seeds-1`` and write ``verify.json`` and
    ``verify.html`` into ``out`` (default ``runs/verify/NAME``); return the summary."""
    from mllab.report.verify import render_verify

    out = out if out is not None else VERIFY_ROOT / exp.name
    make_collection(out, ("verify.json", "verify.html"),
                    {out / f"seed-{k}": (exp.name, k, quick) for k in range(seeds)})
    with run_lock(out):
        summary = summarize(exp.name, list(range(seeds)), _run_seeds(exp, seeds, out, quick,
                                                                      on_start))
        write_json(out / "verify.json", summary)
        render_verify(out, summary)
    return summary


def _run_seeds(exp: Experiment, seeds: int, out: Path, quick: bool, on_start) -> list[dict]:
    results = []
    for seed in range(seeds):
        run_dir = out / f"seed-{seed}"
        if on_start is not None:
            on_start(seed, run_dir)
        if (run_dir / "result.json").exists():
            results.append(resume_run(run_dir))
        else:
            settings = exp.settings.quick() if quick else exp.settings()
            results.append(start_run(exp, settings, seed=seed, quick=quick, out=run_dir))
    return results


def stability(name: str, root: Path = VERIFY_ROOT) -> str | None:
    r"""``"4/5 stable"`` (or ``"3/5 unstable"``) from ``root/NAME/verify.json``, if verify has
    been run there; ``None`` otherwise."""
    try:
        summary = json.loads((root / name / "verify.json").read_text())
        return (f"{summary['agree']}/{len(summary['seeds'])} "
                f"{'stable' if summary['stable'] else 'unstable'} ({summary['verdict']})")
    except (OSError, ValueError, KeyError, TypeError):
        return None
