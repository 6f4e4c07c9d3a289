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
    _fit_parser(sub)
    diagnose = sub.add_parser("diagnose", help="the training-strategy lecture's diagnosis of "
                                               "a fit: optimization, model bias or overfitting")
    diagnose.add_argument("run_dir", type=Path, help="the folder of an mllab fit run")
    diagnose.add_argument("--repeats", metavar="N", help="repeats of each compared model "
                                                         "(default: the fit's, 5)")
    data = sub.add_parser("data", help="write example data").add_subparsers(
        dest="data_command", parser_class=_Parser, metavar="WHAT", required=True)
    covid = data.add_parser("make-covid-like", help="a SYNTHETIC table with the schema of the "
                                                    "course's first homework (COVID-19 cases)")
    covid.add_argument("out", type=Path, help="the CSV to write (must not exist)")
    covid.add_argument("--rows", default="2700", help="rows (default 2700)")
    covid.add_argument("--days", default="3", help="days of survey features, 1..5 (default 3)")
    covid.add_argument("--seed", type=_seed, default=0)
    covid.add_argument("--test", action="store_true",
                       help="a test table: without the target column, other rows")
    return parser


_FIT_OPTIONS = {  # option -> (setting, help)
    "--target": ("target", "the column to predict (required)"),
    "--drop": ("drop", "comma-separated columns (names or patterns like cli*) not to use"),
    "--columns": ("columns", "comma-separated features to use (default: all other columns)"),
    "--task": ("task", "regression (default) or classification"),
    "--select": ("select", "keep the K features of the largest F statistic (training rows)"),
    "--model": ("hidden", "hidden-layer widths, e.g. 16,8 (default, the course's sample "
                          "network), or linear"),
    "--activation": ("activation", "relu (default), sigmoid or tanh"),
    "--optim": ("optimizer", "adam (default), sgd, momentum, adagrad or rmsprop"),
    "--lr": ("lr", "learning rate (default 1e-3)"),
    "--l2": ("l2", "L2 penalty (λ/2)Σw² on the weights, as weight_decay=λ (default 0)"),
    "--epochs": ("epochs", "most epochs (default 300)"),
    "--batch-size": ("batch_size", "rows per update (default 256)"),
    "--patience": ("patience", "early-stopping patience in epochs, or none (default 30)"),
    "--valid-ratio": ("valid_ratio", "share of rows held out for validation (default 0.2)"),
    "--cv": ("cv", "K-fold cross-validation on all labelled rows first"),
    "--predict": ("predict", "a test CSV to predict (the training features, no target)"),
    "--submission": ("submission", "where the predictions go (default RUN/submission.csv)"),
    "--repeats": ("repeats", "diagnosis: repeats of each compared model (default 5)"),
    "--nproc": ("nproc", "processes training each model together (torch.distributed)"),
    "--device": ("device", "cpu (default), cuda or auto"),
}


def _fit_parser(sub) -> None:
    fit = sub.add_parser("fit", help="train on your own CSV table: validation, CV, "
                                     "predictions, report")
    fit.add_argument("train", type=Path, metavar="TRAIN.csv")
    for option, (_, text) in _FIT_OPTIONS.items():
        fit.add_argument(option, help=text, required=option == "--target")
    fit.add_argument("--diagnose", action="store_true",
                     help="also apply the training-strategy lecture's diagnosis")
    fit.add_argument("--seed", type=_seed, default=0)
    fit.add_argument("--out", type=Path, help="run folder (default runs/fit/<time>-s<seed>)")


def _fit_settings(args):
    r"""The fit's settings from its options, each parsed and checked as ``--set`` would."""
    from mllab.experiments.fit import FitSettings

    pairs = [f"train={args.train.absolute()}", f"diagnose={args.diagnose}"]
    for option, (name, _) in _FIT_OPTIONS.items():
        value = getattr(args, option[2:].replace("-", "_"))
        if value is None:
            continue
        if name in ("predict", "submission") and value:
            value = Path(value).absolute()
        if name == "hidden":  # "16, 8" as "16,8"; "linear": no hidden layer
            value = "" if value.strip().lower() == "linear" else value.replace(" ", "")
        pairs.append(f"{name}={value}")
    return FitSettings().with_overrides(pairs)


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
    from mllab.experiments.fit import fit_table, submission_path
    from mllab.experiments.registry import all_jobs
    from mllab.experiments.runner import default_run_dir, start_run

    settings = _fit_settings(args)
    if settings.submission and not settings.predict:
        raise BadInput("--submission is where the predictions of --predict TEST.csv go; give "
                       "--predict too, or leave --submission out")
    if settings.submission and submission_path(settings, Path()).exists():
        raise BadInput(f"--submission {settings.submission} exists; choose a new file (it "
                       f"is never overwritten)")
    folder = submission_path(settings, Path()).parent
    if settings.submission and not folder.is_dir():  # refused now, not after the training
        raise BadInput(f"--submission {settings.submission}: {folder} is not an existing "
                       f"folder; create it or choose a file in an existing folder")
    exp = next(j for j in all_jobs() if j.fn is fit_table)
    run_dir = args.out if args.out is not None else default_run_dir("fit", args.seed)
    _run_dir[:] = [run_dir]
    print(_summary(start_run(exp, settings, seed=args.seed, quick=False, out=run_dir),
                   run_dir))
    return 0


def _diagnose(args) -> int:
    from mllab.experiments.registry import all_jobs
    from mllab.experiments.runner import read_result, resume_run, start_run

    fit = read_result(args.run_dir)
    if fit["experiment"] != "fit":
        raise BadInput(f"{args.run_dir} is a run of {fit['experiment']}; mllab diagnose "
                       f"takes the folder of an mllab fit run")
    jobs = {j.name: j for j in all_jobs()}
    settings = jobs["fit"].settings.from_dict(fit["settings"])
    settings = settings.with_overrides([f"repeats={args.repeats}"] if args.repeats else [])
    run_dir = args.run_dir / "diagnosis"
    _run_dir[:] = [run_dir]
    if (run_dir / "result.json").exists():
        done = read_result(run_dir)["settings"].get("repeats")
        if args.repeats and settings.repeats != done:  # it would go on with its own repeats
            raise BadInput(f"{run_dir} holds a diagnosis with {done} repeats, not "
                           f"{settings.repeats}; leave --repeats out to continue or show it, "
                           f"or move that folder away to diagnose again")
        result = resume_run(run_dir)
    else:
        result = start_run(jobs["diagnose"], settings, seed=fit["seed"], quick=False,
                           out=run_dir)
    print(_summary(result, run_dir))
    return 0


def _data(args) -> int:
    from mllab.data import write_covid_like_csv
    from mllab.experiments.base import parse_value

    if args.out.exists():
        raise BadInput(f"{args.out} exists; choose a new file (it is never overwritten)")
    rows, days = (parse_value(k, v, int) for k, v in (("rows", args.rows),
                                                      ("days", args.days)))
    path = write_covid_like_csv(args.out, rows, days=days, seed=args.seed, test=args.test)
    print(f"wrote {path}: {rows} rows of SYNTHETIC data with the schema of the course's first "
          f"homework ({days} days{', no target: a test table' if args.test else ''})")
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
