r"""The commands on a student's own table: ``mllab fit``, ``mllab diagnose`` and ``mllab data
make-covid-like``: their options, the settings they make, and the runs they start.

Every option of ``mllab fit`` is a field of :class:`~mllab.experiments.fit.FitSettings`, parsed
and checked as ``mllab run --set`` parses and checks a setting, so a bad value gets the same
one-line message. What only the file system can say (an existing ``--submission``, a missing
folder for it) is refused here, before any training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mllab.experiments.fit import FitSettings, fit_table, submission_path
from mllab.experiments.registry import all_jobs
from mllab.experiments.run_folder import RunError

FIT_OPTIONS = {  # option -> (setting, help)
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
"""``mllab fit``'s options and the settings they set."""


def add_commands(sub, seed: Callable[[str], int]) -> None:
    r"""Add ``fit``, ``diagnose`` and ``data`` to the ``mllab`` parser's subcommands (``seed``
    parses ``--seed``)."""
    fit = sub.add_parser("fit", help="train on your own CSV table: validation, CV, "
                                     "predictions, report")
    fit.add_argument("train", type=Path, metavar="TRAIN.csv")
    for option, (_, text) in FIT_OPTIONS.items():
        fit.add_argument(option, help=text, required=option == "--target")
    fit.add_argument("--diagnose", action="store_true",
                     help="also apply the training-strategy lecture's diagnosis")
    fit.add_argument("--seed", type=seed, default=0)
    fit.add_argument("--out", type=Path, help="run folder (default runs/fit/<time>-s<seed>)")
    diagnose = sub.add_parser("diagnose", help="the training-strategy lecture's diagnosis of "
                                               "a fit: optimization, model bias or overfitting")
    diagnose.add_argument("run_dir", type=Path, help="the folder of an mllab fit run")
    diagnose.add_argument("--repeats", metavar="N", help="repeats of each compared model "
                                                         "(default: the fit's, 5)")
    data = sub.add_parser("data", help="write example data").add_subparsers(
        dest="data_command", metavar="WHAT", required=True)  # of the same parser class
    covid = data.add_parser("make-covid-like", help="a SYNTHETIC table with the schema of the "
                                                    "course's first homework (COVID-19 cases)")
    covid.add_argument("out", type=Path, help="the CSV to write (must not exist)")
    covid.add_argument("--rows", default="2700", help="rows (default 2700)")
    covid.add_argument("--days", default="3", help="days of survey features, 1..5 (default 3)")
    covid.add_argument("--seed", type=seed, default=0)
    covid.add_argument("--test", action="store_true",
                       help="a test table: without the target column, other rows")


def fit_settings(args) -> FitSettings:
    r"""The fit's settings from its options, each parsed and checked as ``--set`` would."""
    pairs = [f"train={args.train.absolute()}", f"diagnose={args.diagnose}"]
    for option, (name, _) in FIT_OPTIONS.items():
        value = getattr(args, option[2:].replace("-", "_"))
        if value is None:
            continue
        if name in ("predict", "submission") and value:
            value = Path(value).absolute()
        if name == "hidden":  # "16, 8" as "16,8"; "linear": no hidden layer
            value = "" if value.strip().lower() == "linear" else value.replace(" ", "")
        pairs.append(f"{name}={value}")
    return FitSettings().with_overrides(pairs)


def _check_submission(s: FitSettings) -> None:
    r"""Refuse, before any training, a submission that would be lost or overwrite a file."""
    if not s.submission:
        return
    if not s.predict:
        raise RunError("--submission is where the predictions of --predict TEST.csv go; give "
                       "--predict too, or leave --submission out")
    path = submission_path(s, Path())
    if path.exists():
        raise RunError(f"--submission {s.submission} exists; choose a new file (it is never "
                       f"overwritten)")
    if not path.parent.is_dir():
        raise RunError(f"--submission {s.submission}: {path.parent} is not an existing "
                       f"folder; create it or choose a file in an existing folder")


def start_fit(args, on_run_dir: Callable[[Path], None]) -> tuple[dict, Path]:
    r"""Run ``mllab fit``; its result and run folder (``on_run_dir`` hears of the folder first,
    for the messages of an interrupted run)."""
    from mllab.experiments.runner import default_run_dir, start_run

    settings = fit_settings(args)
    _check_submission(settings)
    exp = next(j for j in all_jobs() if j.fn is fit_table)
    run_dir = args.out if args.out is not None else default_run_dir("fit", args.seed)
    on_run_dir(run_dir)
    return start_run(exp, settings, seed=args.seed, quick=False, out=run_dir), run_dir


def start_diagnosis(args, on_run_dir: Callable[[Path], None]) -> tuple[dict, Path]:
    r"""Run ``mllab diagnose RUN_DIR`` into ``RUN_DIR/diagnosis`` (or continue or show the
    diagnosis there); its result and folder."""
    from mllab.experiments.runner import read_result, resume_run, start_run

    fit = read_result(args.run_dir)
    if fit["experiment"] != "fit":
        raise RunError(f"{args.run_dir} is a run of {fit['experiment']}; mllab diagnose "
                       f"takes the folder of an mllab fit run")
    jobs = {j.name: j for j in all_jobs()}
    settings = jobs["fit"].settings.from_dict(fit["settings"])
    settings = settings.with_overrides([f"repeats={args.repeats}"] if args.repeats else [])
    run_dir = args.run_dir / "diagnosis"
    on_run_dir(run_dir)
    if not (run_dir / "result.json").exists():
        return start_run(jobs["diagnose"], settings, seed=fit["seed"], quick=False,
                         out=run_dir), run_dir
    done = read_result(run_dir)["settings"].get("repeats")
    if args.repeats and settings.repeats != done:  # it would go on with its own repeats
        raise RunError(f"{run_dir} holds a diagnosis with {done} repeats, not "
                       f"{settings.repeats}; leave --repeats out to continue or show it, "
                       f"or move that folder away to diagnose again")
    return resume_run(run_dir), run_dir


def make_data(args) -> str:
    r"""Write ``mllab data make-covid-like``'s table; the line that says what was written."""
    from mllab.data import write_covid_like_csv
    from mllab.experiments.base import parse_value

    if args.out.exists():
        raise RunError(f"{args.out} exists; choose a new file (it is never overwritten)")
    rows, days = (parse_value(k, v, int) for k, v in (("rows", args.rows),
                                                      ("days", args.days)))
    path = write_covid_like_csv(args.out, rows, days=days, seed=args.seed, test=args.test)
    return (f"wrote {path}: {rows} rows of SYNTHETIC data with the schema of the course's "
            f"first homework ({days} days{', no target: a test table' if args.test else ''})")
