"""Every bad input a newcomer can give the ``mllab`` command, in one table: each ends with one
line naming the problem (and what is valid), exit status 2, no traceback, and every file in the
working folder exactly as it was (a snapshot of the whole tree before and after).

Cases that need a run folder copy one small finished run, made once per worker, and edit it:
``interrupted`` marks it interrupted with its last trial unfinished, so ``resume`` has to load
that trial's checkpoint. Cases a root user cannot provoke for real (a folder without write
permission) or a full disk are injected in-process below the table."""

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mllab.cli import main
from mllab.experiments.run_folder import run_lock

TEMPLATE_ARGS = ["regression-sigmoids", "--quick", "--set", "epochs=5", "--set", "repeats=1"]
LAST_TRIAL = "relu-100-r0"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    r"""A small finished run (7 trials of 5 epochs), checkpointed after every step."""
    out = tmp_path_factory.mktemp("template") / "run"
    done = subprocess.run([sys.executable, "-m", "mllab", "run", *TEMPLATE_ARGS, "--out",
                           str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MLLAB_CHECKPOINT_SECONDS": "0"})
    assert done.returncode == 0, done.stderr
    return out


def _edit_result(run: Path, **changes) -> None:
    result = json.loads((run / "result.json").read_text())
    for key, value in changes.items():
        if value is _DELETE:
            del result[key]
        else:
            result[key] = value
    (run / "result.json").write_text(json.dumps(result))


_DELETE = object()


def interrupted(run: Path) -> None:
    r"""The template as a run killed during its last trial."""
    _edit_result(run, status="interrupted")
    (run / "trials" / LAST_TRIAL / "trial.json").unlink()


def _last_checkpoint(run: Path) -> Path:
    return sorted((run / "trials" / LAST_TRIAL / "checkpoints").iterdir())[-1]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


PREPARE = {
    "finished": lambda run: None,
    "interrupted": interrupted,
    "no settings": lambda run: _edit_result(run, settings=_DELETE, status="interrupted"),
    "threads abc": lambda run: _edit_result(run, threads="abc", status="interrupted"),
    "seed -1": lambda run: _edit_result(run, seed=-1, status="interrupted"),
    "quick yes": lambda run: _edit_result(run, quick="yes", status="interrupted"),
    "status done": lambda run: _edit_result(run, status="done"),
    "duration -3": lambda run: _edit_result(run, duration_s=-3, status="interrupted"),
    "verdict maybe": lambda run: _edit_result(run, verdict="maybe"),
    "other experiment, same lecture":
        lambda run: _edit_result(run, experiment="regression-linear", status="interrupted"),
    "other experiment, other lecture": lambda run: _edit_result(run, experiment="momentum"),
    "unknown experiment": lambda run: _edit_result(run, experiment="astrology"),
    "experiment a list": lambda run: _edit_result(run, experiment=[1], status="interrupted"),
    "lr text": lambda run: _edit_result(
        run, status="interrupted",
        settings={**json.loads((run / "result.json").read_text())["settings"], "lr": "fast"}),
    "epochs 3.5": lambda run: _edit_result(
        run, status="interrupted",
        settings={**json.loads((run / "result.json").read_text())["settings"], "epochs": 3.5}),
    "changed lr": lambda run: (interrupted(run), _edit_result(run, settings={
        **json.loads((run / "result.json").read_text())["settings"], "lr": 0.5})),
    "not json": lambda run: (run / "result.json").write_text("{\"experiment\": "),
    "a list": lambda run: (run / "result.json").write_text("[1, 2]"),
    "report.html folder": lambda run: (interrupted(run), (run / "report.html").unlink(),
                                       (run / "report.html").mkdir()),
    "metrics.jsonl folder": lambda run: (interrupted(run), (run / "metrics.jsonl").unlink(),
                                         (run / "metrics.jsonl").mkdir()),
    "no manifest": lambda run: (interrupted(run),
                                (_last_checkpoint(run) / "MANIFEST.sha256").unlink()),
    "truncated weights": lambda run: (interrupted(run),
                                      _truncate(_last_checkpoint(run) / "model.safetensors")),
    "flipped byte": lambda run: (interrupted(run), _flip(_last_checkpoint(run) /
                                                         "optimizer.safetensors")),
    "checks junk": lambda run: _edit_result(run, checks=[1, "x", None]),
    "demonstrations junk": lambda run: _edit_result(run, demonstrations=[5]),
    "deeply nested": lambda run: (run / "result.json").write_text("[" * 100000 + "]" * 100000),
    "result.json a FIFO": lambda run: ((run / "result.json").unlink(),
                                       os.mkfifo(run / "result.json")),
    "trial.json not JSON": lambda run: (interrupted(run), (run / "trials" / "relu-3-r0" /
                                                           "trial.json").write_text("{bad")),
    "trial.json a list": lambda run: (interrupted(run), (run / "trials" / "relu-3-r0" /
                                                         "trial.json").write_text("[1, 2]")),
    "trial.json a folder": lambda run: (interrupted(run), _replace_by_folder(
        run / "trials" / "relu-3-r0" / "trial.json")),
    "trials a file": lambda run: (interrupted(run), shutil.rmtree(run / "trials"),
                                  (run / "trials").write_text("x")),
    "checkpoints a file": lambda run: (interrupted(run), shutil.rmtree(
        run / "trials" / LAST_TRIAL / "checkpoints"), (run / "trials" / LAST_TRIAL /
                                                       "checkpoints").write_text("x")),
}


def _replace_by_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _flip(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))


@dataclass
class Case:
    args: list[str]
    needles: list[str]
    run: str | None = None
    """How to prepare ``RUN`` (a key of PREPARE); ``RUN`` in ``args`` is its path."""
    at: str = "run"
    """Where in the working folder the run goes."""
    env: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    """Files (name -> text) or folders (name -> None) made in the working folder first."""


R = "regression-sigmoids"
D = "regression-depth"
CSV = "id,a,b,y\n0,1,2,3\n1,4,6,9\n2,5,7,11\n3,2,2,5\n4,8,1,10\n5,0,3,2\n"
"""A tiny table for ``mllab fit``: line 4 is ``2,5,7,11``."""
LONG = "x" * 300
CASES = {
    # the command line
    "unknown experiment": Case(["run", "no-such-thing"],
                               ["unknown experiment 'no-such-thing'", "regression-linear"]),
    "unknown setting": Case(["run", R, "--set", "bogus=1"], ["unknown setting 'bogus'",
                                                             "epochs"]),
    "int setting given text": Case(["run", R, "--set", "epochs=many"],
                                   ["epochs expects int, got 'many'"]),
    "int setting given 3.5": Case(["run", R, "--set", "epochs=3.5"], ["epochs expects int"]),
    "int setting out of range": Case(["run", R, "--set", "epochs=0"],
                                     ["epochs must be >= 1", "got 0"]),
    "negative learning rate": Case(["run", R, "--set", "lr=-0.1"], ["lr must be > 0", "-0.1"]),
    "infinite learning rate": Case(["run", R, "--set", "lr=inf"], ["lr expects float",
                                                                   "'inf'"]),
    "learning rate 1e400": Case(["run", R, "--set", "lr=1e400"],
                                ["lr must be a finite number", "inf"]),
    "learning rate nan": Case(["run", R, "--set", "lr=nan"], ["lr expects float", "'nan'"]),
    "empty value": Case(["run", R, "--set", "lr="], ["lr expects float", "''"]),
    "empty key": Case(["run", R, "--set", "=3"], ["unknown setting ''", "valid settings"]),
    "fullwidth digits": Case(["run", D, "--set", "width=１２"], ["width expects int",
                                                                "plain digits"]),
    "underscore digits": Case(["run", R, "--set", "epochs=4_00"], ["epochs expects int",
                                                                   "'4_00'"]),
    "5000 digits": Case(["run", R, "--set", "epochs=" + "9" * 5000],
                        ["epochs expects int", "(5002 characters)"]),
    "bad list element": Case(["run", R, "--set", "counts=3,x"], ["counts expects int", "'x'"]),
    "list out of order": Case(["run", R, "--set", "counts=10,3"],
                              ["counts must be two or more increasing"]),
    "set without equals": Case(["run", R, "--set", "epochs"], ["KEY=VALUE"]),
    "negative seed": Case(["run", R, "--seed", "-4"], ["--seed"]),
    "text seed": Case(["run", R, "--seed", "abc"], ["--seed expects an integer", "'abc'"]),
    "seed too big": Case(["run", R, "--seed", str(2**32)], ["--seed expects an integer in"]),
    "fullwidth seed": Case(["run", R, "--seed", "５"], ["--seed expects an integer"]),
    "abbreviated option": Case(["run", R, "--qu"], ["unrecognized arguments: --qu"]),
    "run without a name": Case(["run"], ["name"]),
    "extra argument": Case(["run", R, "extra"], ["unrecognized arguments: extra"]),
    "list with an argument": Case(["list", "all"], ["unrecognized arguments: all"]),
    "unknown command": Case(["fly"], ["invalid choice", "run"]),
    "show unknown": Case(["show", "nothing"], ["unknown experiment 'nothing'"]),
    "unknown lecture": Case(["course", "--only", "astrology"],
                            ["unknown lecture 'astrology'", "Regression"]),
    "verify unknown": Case(["verify", "no-such-thing"], ["unknown experiment 'no-such-thing'"]),
    "verify zero seeds": Case(["verify", "momentum", "--seeds", "0"],
                              ["--seeds expects an integer in [1, 1000]", "'0'"]),
    "verify text seeds": Case(["verify", "momentum", "--seeds", "many"], ["--seeds expects"]),
    # where to write
    "--out is a file": Case(["run", R, "--out", "taken"], ["taken exists and is not a folder"],
                            files={"taken": "mine"}),
    "--out is /dev/null": Case(["run", R, "--out", "/dev/null"], ["is not a folder"]),
    "--out name too long": Case(["run", R, "--out", f"runs/{LONG}"],
                                ["longer than the 255 bytes"]),
    "--out inside a file": Case(["run", R, "--out", "taken/run"], ["cannot create the folder"],
                                files={"taken": "mine"}),
    "--out cannot be created": Case(["run", R, "--out", "/proc/mllab-run/x"],
                                    ["cannot create the folder"]),
    "--out a finished run": Case(["run", R, "--out", "RUN"], ["holds a run", "mllab resume"],
                                 run="finished"),
    "course --out is a file": Case(["course", "--only", "cnn", "--out", "taken"],
                                   ["is not a folder"], files={"taken": "mine"}),
    "course --out a run": Case(["course", "--quick", "--out", "RUN"],
                               ["is the folder of one run"], run="finished"),
    "verify --out is a file": Case(["verify", "momentum", "--out", "taken"],
                                   ["is not a folder"], files={"taken": "mine"}),
    "verify --out a run": Case(["verify", "momentum", "--quick", "--out", "RUN"],
                               ["is the folder of one run"], run="finished"),
    # the environment
    "negative checkpoint seconds": Case(["run", R, "--out", "r"],
                                        ["MLLAB_CHECKPOINT_SECONDS must be", "'-1'"],
                                        env={"MLLAB_CHECKPOINT_SECONDS": "-1"}),
    "nan checkpoint seconds": Case(["run", R, "--out", "r"], ["MLLAB_CHECKPOINT_SECONDS"],
                                   env={"MLLAB_CHECKPOINT_SECONDS": "nan"}),
    "text checkpoint seconds": Case(["run", R, "--out", "r"], ["MLLAB_CHECKPOINT_SECONDS"],
                                    env={"MLLAB_CHECKPOINT_SECONDS": "abc"}),
    "infinite checkpoint seconds": Case(["run", R, "--out", "r"], ["MLLAB_CHECKPOINT_SECONDS"],
                                        env={"MLLAB_CHECKPOINT_SECONDS": "inf"}),
    "checkpoint seconds on resume": Case(["resume", "RUN"], ["MLLAB_CHECKPOINT_SECONDS"],
                                         run="interrupted",
                                         env={"MLLAB_CHECKPOINT_SECONDS": "abc"}),
    "zero threads": Case(["run", R, "--out", "r"], ["MLLAB_THREADS must be an integer in"],
                         env={"MLLAB_THREADS": "0"}),
    "text threads": Case(["run", R, "--out", "r"], ["MLLAB_THREADS", "'zero'"],
                         env={"MLLAB_THREADS": "zero"}),
    "100000 threads": Case(["run", R, "--out", "r"], ["MLLAB_THREADS", "[1, 256]"],
                           env={"MLLAB_THREADS": "100000"}),
    "fullwidth threads": Case(["run", R, "--out", "r"], ["MLLAB_THREADS"],
                              env={"MLLAB_THREADS": "２"}),
    # run folders
    "resume a missing folder": Case(["resume", "no/such/run"], ["does not exist"]),
    "report a missing folder": Case(["report", "no/such/run"], ["does not exist"]),
    "resume a file": Case(["resume", "taken"], ["does not exist"], files={"taken": "x"}),
    "resume a folder that is no run": Case(["resume", "stuff"], ["is not a run folder"],
                                           files={"stuff": None, "stuff/result.json": "[1]"}),
    "result.json not JSON": Case(["resume", "RUN"], ["is not a run folder"], run="not json"),
    "result.json a list": Case(["report", "RUN"], ["is not a run folder"], run="a list"),
    "result.json without settings": Case(["resume", "RUN"], ["settings must be an object"],
                                         run="no settings"),
    "report without settings": Case(["report", "RUN"], ["settings must be"], run="no settings"),
    "result.json threads text": Case(["resume", "RUN"], ["threads must be an integer", "'abc'"],
                                     run="threads abc"),
    "result.json seed -1": Case(["resume", "RUN"], ["seed must be an integer in", "-1"],
                                run="seed -1"),
    "result.json quick text": Case(["resume", "RUN"], ["quick must be true or false"],
                                   run="quick yes"),
    "result.json unknown status": Case(["resume", "RUN"], ["status must be one of", "'done'"],
                                       run="status done"),
    "result.json negative duration": Case(["resume", "RUN"], ["duration_s must be"],
                                          run="duration -3"),
    "report of verdict maybe": Case(["report", "RUN"], ["verdict must be null or one of",
                                                        "'maybe'"], run="verdict maybe"),
    "another experiment's name": Case(["resume", "RUN"], ["do not fit regression-linear",
                                                          "'counts'"],
                                      run="other experiment, same lecture"),
    "report of another lecture": Case(["report", "RUN"], ["lecture must be"],
                                      run="other experiment, other lecture"),
    "result.json unknown experiment": Case(["resume", "RUN"], ["experiment must be one of",
                                                               "'astrology'"],
                                           run="unknown experiment"),
    "result.json experiment a list": Case(["resume", "RUN"], ["experiment must be one of",
                                                              "[1]"], run="experiment a list"),
    "setting of the wrong type": Case(["resume", "RUN"], ["lr must be a finite number",
                                                          "'fast'"], run="lr text"),
    "int setting stored as 3.5": Case(["report", "RUN"], ["epochs must be an integer"],
                                      run="epochs 3.5"),
    "report.html is a folder": Case(["report", "RUN"], ["report.html is not a file"],
                                    run="report.html folder"),
    "resume with report.html a folder": Case(["resume", "RUN"], ["report.html is not a file"],
                                             run="report.html folder"),
    "resume with metrics.jsonl a folder": Case(["resume", "RUN"],
                                               ["metrics.jsonl is not a file"],
                                               run="metrics.jsonl folder"),
    "deleted MANIFEST.sha256": Case(["resume", "RUN"], ["MANIFEST.sha256"],
                                    run="no manifest"),
    "truncated weights": Case(["resume", "RUN"], ["model.safetensors"],
                              run="truncated weights"),
    "corrupt optimizer state": Case(["resume", "RUN"], ["optimizer.safetensors", "corrupt"],
                                    run="flipped byte"),
    "settings changed since the checkpoint": Case(["resume", "RUN"], ["lr", "0.5"],
                                                  run="changed lr"),
    # found by a black-box sweep after the first table
    "a setting the run itself refuses": Case(["run", "ce-vs-mse", "--set", "feature=nothing",
                                              "--out", "r"], ["feature must be one of",
                                                              "worst radius"]),
    "learning rate beyond float32": Case(["run", R, "--set", "lr=1e300"],
                                         ["lr must be a finite number within float32's range"]),
    "5000-digit thread count": Case(["run", R, "--out", "r"], ["MLLAB_THREADS must be"],
                                    env={"MLLAB_THREADS": "9" * 5000}),
    "5000-digit seed": Case(["run", R, "--seed", "9" * 5000],
                            ["--seed expects an integer in", "(5002 characters)"]),
    "--out path too long": Case(["run", R, "--out", "/".join(["a" * 200] * 25)],
                                ["the path is longer than"]),
    "--out a folder of other files": Case(["run", R, "--out", "mine"],
                                          ["is not empty (and holds no run)"],
                                          files={"mine": None, "mine/notes.txt": "x"}),
    "report of junk checks": Case(["report", "RUN"], ["checks must be a list of objects"],
                                  run="checks junk"),
    "report of junk demonstrations": Case(["report", "RUN"], ["demonstrations must be"],
                                          run="demonstrations junk"),
    "result.json nested too deep": Case(["report", "RUN"], ["is not a run folder"],
                                        run="deeply nested"),
    "result.json a FIFO": Case(["resume", "RUN"], ["is not a run folder"],
                               run="result.json a FIFO"),
    "trial.json not JSON": Case(["resume", "RUN"], ["trial.json is damaged"],
                                run="trial.json not JSON"),
    "trial.json a list": Case(["resume", "RUN"], ["trial.json is damaged"],
                              run="trial.json a list"),
    "trial.json a folder": Case(["resume", "RUN"], ["trial.json is not a file"],
                                run="trial.json a folder"),
    "trials a file": Case(["resume", "RUN"], ["trials is not a folder"], run="trials a file"),
    "checkpoints a file": Case(["resume", "RUN"], ["checkpoints is not a folder"],
                               run="checkpoints a file"),
    "course slot holding another experiment": Case(
        ["course", "--quick", "--only", "regression", "--out", "c"],
        ["holds a run of regression-sigmoids", "not of regression-linear"], run="finished",
        at="c/regression-linear"),
    "verify slot holding another experiment": Case(
        ["verify", "regression-linear", "--quick", "--seeds", "1", "--out", "v"],
        ["holds a run of regression-sigmoids", "not of regression-linear"], run="finished",
        at="v/seed-0"),
    # mllab fit, diagnose and data: the user's own table
    "fit an unknown target": Case(["fit", "t.csv", "--target", "nope"],
                                  ["'nope'", "t.csv"], files={"t.csv": CSV}),
    "fit drops an unknown column": Case(["fit", "t.csv", "--target", "y", "--drop", "z*"],
                                        ["'z*'"], files={"t.csv": CSV}),
    "fit a non-numeric value": Case(["fit", "bad.csv", "--target", "y"],
                                    ["line 4", "'b'", "'abc'"],
                                    files={"bad.csv": CSV.replace("\n2,5,7,", "\n2,5,abc,")}),
    "fit a ragged row": Case(["fit", "bad.csv", "--target", "y"], ["line 3"],
                             files={"bad.csv": CSV.replace("\n1,4,", "\n1,4,9,")}),
    "fit a missing file": Case(["fit", "nothing.csv", "--target", "y"], ["nothing.csv"]),
    "fit a folder": Case(["fit", "stuff", "--target", "y"], ["stuff"], files={"stuff": None}),
    "fit an empty file": Case(["fit", "e.csv", "--target", "y"], ["e.csv"],
                              files={"e.csv": ""}),
    "fit a test CSV missing a column": Case(
        ["fit", "t.csv", "--target", "y", "--predict", "test.csv", "--epochs", "1"],
        ["test.csv", "'b'"], files={"t.csv": CSV, "test.csv": "id,a\n0,1\n"}),
    "fit a text learning rate": Case(["fit", "t.csv", "--target", "y", "--lr", "fast"],
                                     ["lr expects float", "'fast'"], files={"t.csv": CSV}),
    "fit an unknown task": Case(["fit", "t.csv", "--target", "y", "--task", "ranking"],
                                ["task must be one of regression, classification"],
                                files={"t.csv": CSV}),
    "fit a bad model": Case(["fit", "t.csv", "--target", "y", "--model", "16,x"],
                            ["hidden expects int", "'x'"], files={"t.csv": CSV}),
    "fit an unknown optimizer": Case(["fit", "t.csv", "--target", "y", "--optim", "lbfgs"],
                                     ["optimizer must be one of adam"], files={"t.csv": CSV}),
    "fit selects too many": Case(["fit", "t.csv", "--target", "y", "--select", "9",
                                  "--out", "r"], ["select must be an integer in [1, 2]"],
                                 files={"t.csv": CSV}),
    "fit one fold": Case(["fit", "t.csv", "--target", "y", "--cv", "1"], ["cv must be"],
                         files={"t.csv": CSV}),
    "fit zero processes": Case(["fit", "t.csv", "--target", "y", "--nproc", "0"],
                               ["nproc must be"], files={"t.csv": CSV}),
    "fit an unknown device": Case(["fit", "t.csv", "--target", "y", "--device", "tpu"],
                                  ["device must be cpu, cuda or auto"], files={"t.csv": CSV}),
    "fit without a target": Case(["fit", "t.csv"], ["--target"], files={"t.csv": CSV}),
    "fit over an existing submission": Case(
        ["fit", "t.csv", "--target", "y", "--predict", "t.csv", "--submission", "mine.csv"],
        ["mine.csv exists"], files={"t.csv": CSV, "mine.csv": "precious"}),
    "diagnose a run of an experiment": Case(["diagnose", "RUN"],
                                            ["is a run of regression-sigmoids"], run="finished"),
    "diagnose a missing folder": Case(["diagnose", "no/such/run"], ["does not exist"]),
    "data over an existing file": Case(["data", "make-covid-like", "mine.csv"],
                                       ["mine.csv exists"], files={"mine.csv": "precious"}),
    "data for 9 days": Case(["data", "make-covid-like", "c.csv", "--days", "9"], ["days"]),
    "data text rows": Case(["data", "make-covid-like", "c.csv", "--rows", "many"],
                           ["rows expects int", "'many'"]),
    "data of an unknown kind": Case(["data", "make-mnist", "c.csv"], ["invalid choice"]),
    # found by a sweep of fit, diagnose and data
    "fit one data row": Case(["fit", "one.csv", "--target", "y", "--out", "r"],
                             ["one.csv has 1 data row", "at least 2"],
                             files={"one.csv": "id,a,b,y\n0,1,2,3\n"}),
    "fit an unclosed quote": Case(["fit", "q.csv", "--target", "y", "--out", "r"],
                                  ["q.csv", "unexpected end of data"],
                                  files={"q.csv": CSV + '6,1,2,"3\n'}),
    "fit more folds than rows": Case(["fit", "t.csv", "--target", "y", "--cv", "7", "--out", "r"],
                                     ["cv must be an integer in [2, 6]", "7"],
                                     files={"t.csv": CSV}),
    "fit one training row": Case(["fit", "t.csv", "--target", "y", "--valid-ratio", "0.999",
                                  "--out", "r"], ["at least 3 training rows", "got 1"],
                                 files={"t.csv": CSV}),
    "fit one class in the training rows": Case(  # the other class on row 6, a validation row
        ["fit", "t.csv", "--target", "y", "--task", "classification", "--out", "r"],
        ["at least 2 classes in the training rows"],
        files={"t.csv": "id,a,y\n" + "".join(f"{i},{i},{int(i == 6)}\n" for i in range(10))}),
    "fit a continuous target as classes": Case(
        ["fit", "t.csv", "--target", "y", "--task", "classification", "--epochs", "1",
         "--out", "r"], ["was not seen in training", "(200 in all)"],
        files={"t.csv": "id,a,y\n" + "".join(f"{i},{i % 7},{i * 1.37:.2f}\n"
                                            for i in range(250))}),
    "fit a target too large to square": Case(["fit", "big.csv", "--target", "y", "--out", "r"],
                                             ["target values up to 1e+20 are too large"],
                                             files={"big.csv": CSV.replace(",11\n", ",1e20\n")}),
    "fit a model too large for memory": Case(["fit", "t.csv", "--target", "y", "--model",
                                              "100000000000", "--out", "r"],
                                             ["width (100000000000,)", "choose smaller widths"],
                                             files={"t.csv": CSV}),
    "fit a width beyond int64": Case(["fit", "t.csv", "--target", "y", "--model", "9" * 20,
                                      "--out", "r"], ["width", "choose smaller widths"],
                                     files={"t.csv": CSV}),
    "fit a submission in a missing folder": Case(
        ["fit", "t.csv", "--target", "y", "--predict", "t.csv", "--submission", "no/s.csv",
         "--epochs", "1", "--out", "r"], ["no is not an existing folder"], files={"t.csv": CSV}),
    "fit a submission without --predict": Case(
        ["fit", "t.csv", "--target", "y", "--submission", "s.csv", "--out", "r"],
        ["give --predict too"], files={"t.csv": CSV}),
    "course slot a file": Case(["course", "--quick", "--only", "cnn", "--out", "c"],
                               ["cnn-vs-fc is not a folder"],
                               files={"c": None, "c/cnn-vs-fc": "x"}),
    "course index.html a folder": Case(["course", "--quick", "--only", "cnn", "--out", "c"],
                                       ["index.html is not a file"],
                                       files={"c": None, "c/index.html": None}),
    "verify verify.html a folder": Case(["verify", R, "--quick", "--seeds", "1", "--out", "v"],
                                        ["verify.html is not a file"],
                                        files={"v": None, "v/verify.html": None}),
}


def _snapshot(root: Path) -> dict[str, str]:
    r"""Every path under ``root`` with its content's hash (``dir`` for a folder, ``other`` for a
    FIFO, which a read would block on)."""
    return {str(p.relative_to(root)): "dir" if p.is_dir() else
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "other"
            for p in sorted(root.rglob("*"))}


def _one_line_error(done, needles) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert len(lines[0]) < 1000, lines[0][:200]
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_the_table_covers_fifty_distinct_bad_inputs():
    assert len(CASES) >= 50


def _in_process(args: list[str], cwd: Path, env: dict, monkeypatch, capsys
                ) -> subprocess.CompletedProcess:
    r"""``mllab ARGS`` through :func:`mllab.cli.main` in this process, in ``cwd`` with ``env``
    added, as a finished process: its exit status and what it printed."""
    monkeypatch.chdir(cwd)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own exit
        code = e.code
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


THROUGH_A_NEW_PROCESS = list(CASES)[::10]
r"""The cases run as ``python -m mllab`` too, a new interpreter each: what only a whole
process shows (a warning printed at import, an exit status set outside ``main``) shows there;
the rest run in the test's process, sparing each the seconds of importing torch."""


@pytest.mark.parametrize("key", CASES)
def test_bad_input_is_one_line_exit_2_and_nothing_changes(mllab, tmp_path, template, key,
                                                          monkeypatch, capsys):
    case = CASES[key]
    for name, text in case.files.items():
        if text is None:
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_text(text)
    args = list(case.args)
    if case.run is not None:
        run = tmp_path / case.at
        shutil.copytree(template, run)
        PREPARE[case.run](run)
        args = [str(run) if a == "RUN" else a for a in args]
    before = _snapshot(tmp_path)
    if key in THROUGH_A_NEW_PROCESS:
        _one_line_error(mllab(*args, cwd=tmp_path, env=case.env), case.needles)
        assert _snapshot(tmp_path) == before
    _one_line_error(_in_process(args, tmp_path, case.env, monkeypatch, capsys), case.needles)
    assert _snapshot(tmp_path) == before


def test_a_run_in_use_by_another_process_is_refused(mllab, tmp_path, template):
    run = tmp_path / "run"
    shutil.copytree(template, run)
    interrupted(run)
    before = _snapshot(tmp_path)
    with run_lock(run):  # as a first `mllab resume` would hold it
        _one_line_error(mllab("resume", str(run)), ["being run by another mllab process"])
    assert _snapshot(tmp_path) == before
    assert mllab("resume", str(run)).returncode == 0  # once free, it resumes


def test_diagnose_with_other_repeats_than_its_diagnosis_is_refused(mllab, tmp_path):
    (tmp_path / "t.csv").write_text(CSV)
    assert mllab("fit", "t.csv", "--target", "y", "--epochs", "1", "--out", "r",
                 cwd=tmp_path).returncode == 0
    assert mllab("diagnose", "r", "--repeats", "2", cwd=tmp_path).returncode == 0
    before = _snapshot(tmp_path)
    _one_line_error(mllab("diagnose", "r", "--repeats", "3", cwd=tmp_path),
                    ["holds a diagnosis with 2 repeats, not 3"])
    assert _snapshot(tmp_path) == before
    assert mllab("diagnose", "r", cwd=tmp_path).returncode == 0  # without it: shown again


def test_ctrl_c_during_start_up_is_one_line(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "mllab", "run", R, "--quick"],
                               cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # still importing torch
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "mllab: interrupted; no run was started"
    assert list(tmp_path.iterdir()) == []


def _refuse_writes_under(monkeypatch, root: Path, err: int) -> None:
    r"""Make every folder and file created under ``root`` fail with ``err``, as a read-only
    folder (or a full disk) does for a user who is not root."""
    make_dir, open_file = Path.mkdir, os.open

    def mkdir(self, *args, **kwargs):
        if root in Path(os.path.abspath(self)).parents:
            raise OSError(err, os.strerror(err), str(self))
        return make_dir(self, *args, **kwargs)

    def open_(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR) and root in Path(os.path.abspath(path)).parents:
            raise OSError(err, os.strerror(err), str(path))
        return open_file(path, flags, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_)


def test_a_read_only_working_folder_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _refuse_writes_under(monkeypatch, tmp_path, errno.EACCES)
    assert main(["run", R, "--quick"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mllab: error: --out runs/") and "Permission denied" in err
    assert list(tmp_path.iterdir()) == []


def test_report_of_a_run_it_cannot_write_is_one_line(tmp_path, template, monkeypatch, capsys):
    run = tmp_path / "run"
    shutil.copytree(template, run)
    before = _snapshot(tmp_path)
    _refuse_writes_under(monkeypatch, tmp_path, errno.EACCES)
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Permission denied" in err
    assert _snapshot(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_without_write_permission_is_one_line(mllab, tmp_path):
    (tmp_path / "locked").mkdir(mode=0o555)
    _one_line_error(mllab("run", R, "--out", str(tmp_path / "locked" / "run")),
                    ["cannot create the folder", "Permission denied"])


def test_a_full_disk_is_one_line_and_the_run_resumes(tmp_path, template, monkeypatch, capsys):
    import mllab.train.checkpoint as checkpoint

    run = tmp_path / "run"
    write, calls = checkpoint._write, []

    def fills_up(path, data):
        calls.append(path)
        if len(calls) > 12:  # a few checkpoints succeed, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        write(path, data)

    monkeypatch.setattr(checkpoint, "_write", fills_up)
    monkeypatch.setenv("MLLAB_CHECKPOINT_SECONDS", "0")
    assert main(["run", *TEMPLATE_ARGS, "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no space left" in err and f"mllab resume {run}" in err
    assert json.loads((run / "result.json").read_text())["status"] == "interrupted"
    monkeypatch.setattr(checkpoint, "_write", write)  # space freed
    assert main(["resume", str(run)]) == 0
    resumed = json.loads((run / "result.json").read_text())
    expected = json.loads((template / "result.json").read_text())
    assert resumed["status"] == "complete"
    assert resumed["metrics"] == expected["metrics"]


def test_settings_too_large_for_memory_are_one_line(mllab, tmp_path):
    done = mllab("run", *TEMPLATE_ARGS, "--set", "n_points=10000000000000", "--out", "o",
                 cwd=tmp_path)
    _one_line_error(done, ["out of memory; choose smaller settings (o is kept, marked failed)"])
    assert json.loads((tmp_path / "o" / "result.json").read_text())["status"] == "failed"
