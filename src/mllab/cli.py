r"""The ``mllab`` command: ``list``, ``show``, ``run``, ``resume``, ``course``, ``report``,
``verify``, and for a student's own table ``fit``, ``diagnose`` and ``data make-covid-like``.

Bad input ends with one line naming the problem and the valid choices, exit status 2, and
leaves what is on disk as it was. A run shows its progress trial by trial (a bar on a terminal,
one line per trial elsewhere).
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_STOPPED = 130


class BadInput(Exception):
    r"""Raised instead of argparse's usage dump, so every error is one line."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, allow_abbrev=False, **kwargs)  # --qu is not --quick

    def error(self, message: str):  # noqa: D102 (argparse API)
        raise BadInput(message)


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or int(text) >= 2**32:
        raise argparse.ArgumentTypeError(f"--seed expects an integer in [0, 2**32), got "
                                         f"{_short(text)}")
    return int(text)


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 4) or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"--seeds expects an integer in [1, 1000], got "
                                         f"{_short(text)}")
    return int(text)


def _short(text: str) -> str:
    from mllab.config import shorten

    return shorten(text)


def build_parser() -> argparse.ArgumentParser:
    from mllab import __version__
    from mllab.experiments.fit_command import add_commands

    parser = _Parser(prog="mllab", description="The machine-learning course as experiments: "
                     "each lecture's claims run, judged from evidence over several seeds.",
                     epilog="Example: mllab run regression-linear --quick")
    parser.add_argument("--version", action="version", version=f"mllab {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    sub.add_parser("list", help="list experiments: name, lecture, file, claim")
    show = sub.add_parser("show", help="one experiment: claim, file, settings, margins")
    show.add_argument("name")
    run = sub.add_parser("run", help="run one experiment")
    run.add_argument("name")
    run.add_argument("--quick", action="store_true",
                     help="quick mode: a smoke test of seconds with few repeats")
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
    add_commands(sub, _seed)  # fit, diagnose, data
    return parser


def _summary(result: dict, run_dir: Path) -> str:
    verdict = f": {result['verdict']}" if result["verdict"] else ""
    return (f"{result['experiment']}{verdict}\n  {result['criterion']}\n"
            f"  report: {run_dir / 'report.html'}")


def _list(args) -> int:  # noqa: ARG001 (every command takes the parsed arguments)
    from mllab.experiments import all_experiments
    from mllab.experiments.registry import source_file

    experiments = all_experiments()
    name_width = max(len(e.name) for e in experiments)
    lecture_width = max(len(e.lecture) for e in experiments)
    for e in experiments:
        print(f"{e.name:<{name_width}}  {e.lecture:<{lecture_width}}  {source_file(e)}\n"
              f"{'':<{name_width}}  {e.claim}")
    return 0


def _show(args) -> int:
    from mllab.config import field_docs
    from mllab.experiments import get_experiment
    from mllab.experiments.registry import source_file

    exp = get_experiment(args.name)
    full, quick, docs = exp.settings(), exp.settings.quick(), field_docs(exp.settings)
    rows = [(name, hint.__name__ if isinstance(hint, type) else str(hint),
             repr(getattr(full, name)), repr(getattr(quick, name)), docs.get(name, ""))
            for name, hint in exp.settings.field_types().items()]
    widths = [max(len(r[i]) for r in [("setting", "type", "default", "quick", ""), *rows])
              for i in range(4)]
    line = "  " + "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    print(f"{exp.name}  ({exp.lecture})\n  claim: {exp.claim}\n  file:  {source_file(exp)}"
          f"\n  verdict: the checks of {exp.judge.__name__}() in that file, each decided by its "
          f"95% interval against its margin\n\nsettings (mllab run {exp.name} --set KEY=VALUE):")
    print(line.format("setting", "type", "default", "quick", "what it is"))
    for row in rows:
        print(line.format(*row))
    margins = [r for r in rows if "margin" in r[0]]
    print("\nmargin settings (the report lists every check with its margin and reason):"
          if margins else "\nno margin settings: the checks' margins are in the judge's code")
    for name, _, default, _, doc in margins:
        print(f"  {name} = {default}: {doc}")
    return 0


def _run(args) -> int:
    from mllab.experiments import get_experiment
    from mllab.experiments.runner import default_run_dir, start_run

    exp = get_experiment(args.name)
    settings = exp.settings.quick() if args.quick else exp.settings()
    settings = settings.with_overrides(args.overrides)
    run_dir = args.out if args.out is not None else default_run_dir(exp.name, args.seed)
    _run_dir[:] = [run_dir]
    result = start_run(exp, settings, seed=args.seed, quick=args.quick, out=run_dir)
    print(_summary(result, run_dir))
    return 0


def _resume(args) -> int:
    from mllab.experiments.runner import resume_run

    _run_dir[:] = [args.run_dir]
    result = resume_run(args.run_dir)
    print(_summary(result, args.run_dir))
    return 0


def _course(args) -> int:
    from mllab.experiments import experiments_of
    from mllab.experiments.runner import run_course

    experiments_of(args.only)  # bad --only fails before anything runs

    def on_start(exp, run_dir: Path) -> None:
        _run_dir[:] = [run_dir]
        print(f"running {exp.name} -> {run_dir}", flush=True)

    out, results = run_course(quick=args.quick, only=args.only, out=args.out,
                              on_start=on_start)
    failed = 0
    width = max(len(r["experiment"]) for r in results)
    for r in results:
        if r["status"] == "complete":
            print(f"  {r['experiment']:<{width}}  {r['verdict']}")
        else:
            failed += 1
            print(f"  {r['experiment']:<{width}}  FAILED: {r.get('error')}")
    print(f"index: {out / 'index.html'}")
    return 1 if failed else 0


def _report(args) -> int:
    from mllab.experiments.runner import read_result
    from mllab.report import render_report

    read_result(args.run_dir)
    if (args.run_dir / "report.html").exists() and not (args.run_dir / "report.html").is_file():
        raise BadInput(f"{args.run_dir / 'report.html'} is not a file; move it away and "
                       f"try again")
    if not os.access(args.run_dir, os.W_OK):
        raise BadInput(f"{args.run_dir}: the folder is not writable, so report.html cannot "
                       f"be written there")
    print(render_report(args.run_dir))
    return 0


def _verify(args) -> int:
    from mllab.experiments import get_experiment
    from mllab.experiments.verify import VERIFY_ROOT, verify

    exp = get_experiment(args.name)
    out = args.out if args.out is not None else VERIFY_ROOT / exp.name

    def on_start(seed: int, run_dir: Path) -> None:
        _run_dir[:] = [run_dir]
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


def _fit(args) -> int:
    from mllab.experiments.fit_command import start_fit

    result, run_dir = start_fit(args, _run_dir.append)
    print(_summary(result, run_dir))
    return 0


def _diagnose(args) -> int:
    from mllab.experiments.fit_command import start_diagnosis

    result, run_dir = start_diagnosis(args, _run_dir.append)
    print(_summary(result, run_dir))
    return 0


def _data(args) -> int:
    from mllab.experiments.fit_command import make_data

    print(make_data(args))
    return 0


_run_dir: list[Path] = []
"""The run folder the command is working in, for the messages of an interrupted run."""


def _resumable() -> str:
    r"""How to continue, if a run folder was started; else that nothing was written."""
    try:
        if _run_dir and (_run_dir[0] / "result.json").is_file():
            return f"continue with: mllab resume {_run_dir[0]}"
    except OSError:
        pass
    return "no run was started"


def _os_error(e: OSError) -> str:
    where = f" ({e.filename})" if e.filename else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"no space left on the disk{where}; the newest checkpoint is intact: free "
                f"some space, then {_resumable()}")
    return f"{e.strerror or e}{where}; {_resumable()}"


def _start_up() -> bool:
    r"""Import what every command needs (torch above all) with Ctrl-C held back: a
    ``KeyboardInterrupt`` inside a C extension's import turns into an ``ImportError`` that
    optional imports swallow, leaving a half-imported library. Returns whether Ctrl-C came."""
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        import mllab.experiments.runner  # noqa: F401 (torch, the registry, the training loop)
        import mllab.report  # noqa: F401
    finally:
        signal.signal(signal.SIGINT, previous)
    return bool(pressed)


def main(argv: list[str] | None = None) -> int:
    try:
        if _start_up():
            raise KeyboardInterrupt
        return _main(argv)
    except KeyboardInterrupt as e:  # Ctrl-C before the run's own handlers, or a second one
        from mllab.train.stop import StopNow

        what = "stopped at once (second interrupt)" if isinstance(e, StopNow) else "interrupted"
        print(f"mllab: {what}; {_resumable()}", file=sys.stderr)
        return EXIT_STOPPED
    except BrokenPipeError:  # mllab list | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    from mllab.config import ConfigError
    from mllab.experiments.registry import UnknownExperiment
    from mllab.experiments.runner import RunError
    from mllab.report import ReportError
    from mllab.train import CheckpointError, NonFiniteLossError, TrainingInterrupted
    from mllab.train.distributed import DistributedError

    commands = {"list": _list, "show": _show, "run": _run, "resume": _resume,
                "course": _course, "report": _report, "verify": _verify, "fit": _fit,
                "diagnose": _diagnose, "data": _data}
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return commands[args.command](args)
    except (BadInput, UnknownExperiment, ConfigError, RunError, CheckpointError,
            ReportError) as e:
        print(f"mllab: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except TrainingInterrupted as e:
        print(f"mllab: {e}; checkpoint saved. {_resumable().capitalize()}", file=sys.stderr)
        return 0
    except NonFiniteLossError as e:
        print(f"mllab: error: {e}", file=sys.stderr)
        return 1
    except DistributedError as e:  # a rank died: the newest checkpoint is intact
        print(f"mllab: error: {e}; the last complete checkpoint is intact; "
              f"{_resumable()}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as e:
        if isinstance(e, RuntimeError) and "can't allocate memory" not in str(e):
            raise
        kept = f" ({_run_dir[0]} is kept, marked failed)" if _run_dir else ""
        print(f"mllab: error: out of memory; choose smaller settings{kept}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        raise
    except OSError as e:
        print(f"mllab: error: {_os_error(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
