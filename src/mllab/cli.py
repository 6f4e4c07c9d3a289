r"""The ``mllab`` command: ``list``, ``run``, ``resume``, ``course``, ``report``, ``verify``.

Bad input ends with one line naming the problem and the valid choices, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


class BadInput(Exception):
    r"""Raised instead of argparse's usage dump, so every error is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D102 (argparse API)
        raise BadInput(message)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed expects an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"--seed must be in [0, 2**32), got {value}")
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--seeds expects an integer >= 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mllab", description="The machine-learning course as experiments.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list experiments: name, lecture, file, claim")
    run = sub.add_parser("run", help="run one experiment")
    run.add_argument("name")
    run.add_argument("--quick", action="store_true", help="quick mode (under 30 s)")
    run.add_argument("--seed", type=_seed, default=0)
    run.add_argument("--out", type=Path, help="run folder (default runs/NAME/<time>-s<seed>)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a setting (repeatable)")
    resume = sub.add_parser("resume", help="continue an interrupted run")
    resume.add_argument("run_dir", type=Path)
    course = sub.add_parser("course", help="run every experiment and write index.html")
    course.add_argument("--quick", action="store_true")
    course.add_argument("--only", metavar="LECTURE", help="only this lecture's experiments")
    course.add_argument("--out", type=Path, help="folder (default runs/course-<time>)")
    report = sub.add_parser("report", help="re-render report.html from result.json")
    report.add_argument("run_dir", type=Path)
    verify = sub.add_parser("verify", help="rerun the full mode under several master seeds: "
                                           "is the verdict stable?")
    verify.add_argument("name")
    verify.add_argument("--seeds", type=_positive, default=5, help="master seeds 0..K-1")
    verify.add_argument("--out", type=Path, help="folder (default runs/verify/NAME)")
    verify.add_argument("--quick", action="store_true",
                        help="quick mode instead (a smoke test of verify itself)")
    return parser


def _summary(result: dict, run_dir: Path) -> str:
    return (f"{result['experiment']}: {result['verdict']}\n  {result['criterion']}\n"
            f"  report: {run_dir / 'report.html'}")


def _list() -> int:
    from mllab.experiments import all_experiments
    from mllab.experiments.registry import source_file

    for e in all_experiments():
        print(f"{e.name:<28} {e.lecture:<24} {source_file(e)}\n    {e.claim}")
    return 0


def _run(args) -> int:
    from mllab.experiments import get_experiment
    from mllab.experiments.runner import default_run_dir, start_run

    exp = get_experiment(args.name)
    settings = exp.settings.quick() if args.quick else exp.settings()
    settings = settings.with_overrides(args.overrides)
    run_dir = args.out if args.out is not None else default_run_dir(exp.name, args.seed)
    _interrupt_hint.append(run_dir)
    result = start_run(exp, settings, seed=args.seed, quick=args.quick, out=run_dir)
    print(_summary(result, run_dir))
    return 0


def _resume(args) -> int:
    from mllab.experiments.runner import resume_run

    _interrupt_hint.append(args.run_dir)
    result = resume_run(args.run_dir)
    print(_summary(result, args.run_dir))
    return 0


def _course(args) -> int:
    from mllab.experiments import experiments_of
    from mllab.experiments.runner import run_course

    experiments_of(args.only)  # bad --only fails before anything runs

    def on_start(exp, run_dir: Path) -> None:
        _interrupt_hint[:] = [run_dir]
        print(f"running {exp.name} -> {run_dir}", flush=True)

    out, results = run_course(quick=args.quick, only=args.only, out=args.out,
                              on_start=on_start)
    failed = 0
    for r in results:
        if r["status"] == "complete":
            print(f"  {r['experiment']:<24} {r['verdict']}")
        else:
            failed += 1
            print(f"  {r['experiment']:<24} FAILED: {r.get('error')}")
    print(f"index: {out / 'index.html'}")
    return 1 if failed else 0


def _report(args) -> int:
    from mllab.experiments.runner import read_result
    from mllab.report import render_report

    read_result(args.run_dir)
    print(render_report(args.run_dir))
    return 0


def _verify(args) -> int:
    from mllab.experiments import get_experiment
    from mllab.experiments.verify import VERIFY_ROOT, verify

    exp = get_experiment(args.name)
    out = args.out if args.out is not None else VERIFY_ROOT / exp.name

    def on_start(seed: int, run_dir: Path) -> None:
        _interrupt_hint[:] = [run_dir]
        print(f"seed {seed} -> {run_dir}", flush=True)

    summary = verify(exp, seeds=args.seeds, out=out, quick=args.quick, on_start=on_start)
    n = len(summary["seeds"])
    for seed, verdict in zip(summary["seeds"], summary["verdicts"], strict=True):
        print(f"  seed {seed}: {verdict}")
    for c in summary["checks"]:
        print(f"  {c['agree']}/{n} {c['most_common']}: {c['claim']}")
    print(f"{exp.name}: {summary['verdict']} in {summary['agree']}/{n} seeds: "
          f"{'stable' if summary['stable'] else 'NOT stable'}\n  page: {out / 'verify.html'}")
    return 0


_interrupt_hint: list[Path] = []


def main(argv: list[str] | None = None) -> int:
    from mllab.experiments.base import SettingsError
    from mllab.experiments.registry import UnknownExperiment
    from mllab.experiments.runner import RunError
    from mllab.report import ReportError
    from mllab.train import CheckpointError, NonFiniteLossError, TrainingInterrupted

    commands = {"list": _list, "run": _run, "resume": _resume, "course": _course,
                "report": _report, "verify": _verify}
    try:
        args = build_parser().parse_args(argv)
        return commands[args.command](*([] if args.command == "list" else [args]))
    except (BadInput, UnknownExperiment, SettingsError, RunError, CheckpointError,
            ReportError) as e:
        print(f"mllab: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except TrainingInterrupted as e:
        where = _interrupt_hint[-1] if _interrupt_hint else "RUN_DIR"
        print(f"mllab: {e}; checkpoint saved. Continue with: mllab resume {where}",
              file=sys.stderr)
        return 0
    except NonFiniteLossError as e:
        print(f"mllab: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mllab: stopped at once (second interrupt); resume from the last checkpoint",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
