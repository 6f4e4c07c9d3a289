"""The command line: usage, listing, showing, progress, reports (bad input has its own table in
``tests/test_bad_input.py``)."""

import json
import shutil

import pytest

from mllab.experiments import all_experiments

FAST = ["--quick", "--set", "epochs=3"]


def test_list_shows_every_experiment_in_aligned_columns(mllab):
    done = mllab("list")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    for e in all_experiments():
        assert e.name in done.stdout and e.claim in done.stdout
    files = [line.index("mllab/experiments/") for line in lines[::2]]
    assert len(files) == len(all_experiments()) and len(set(files)) == 1  # one column


@pytest.mark.parametrize("args", [[], ["--help"]])
def test_usage_names_every_command(mllab, args):
    done = mllab(*args)
    assert done.returncode == 0 and done.stdout.startswith("usage: mllab")
    for command in ("list", "show", "run", "resume", "course", "report", "verify", "fit",
                    "diagnose", "data"):
        assert f"    {command} " in done.stdout


def test_version(mllab):
    from mllab import __version__

    done = mllab("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"mllab {__version__}"


def test_show_gives_claim_file_settings_and_margins(mllab):
    from mllab.experiments import get_experiment

    exp = get_experiment("regression-sigmoids")
    done = mllab("show", exp.name)
    assert done.returncode == 0
    out = done.stdout
    assert exp.claim in out and "mllab/experiments/regression/regression_sigmoids.py" in out
    assert "epochs    int              4000          500" in out  # name, type, default, quick
    assert "Full-batch Adam updates per model" in out  # the field's docstring
    assert "counts    tuple[int, ...]  (3, 10, 100)" in out
    assert "margin settings (the report lists every check with its margin and reason):\n" \
        "  margin = 0.0: Noise allowance" in out


def test_a_run_reports_each_trial_when_not_on_a_terminal(mllab, tmp_path):
    done = mllab("run", "regression-sigmoids", *FAST, "--set", "repeats=1", "--out",
                 str(tmp_path / "r"))
    assert done.returncode == 0
    lines = [x for x in done.stdout.splitlines() if x.startswith("regression-sigmoids ")]
    assert [x.split(":")[0] for x in lines] == [f"regression-sigmoids {k}/7"
                                                 for k in range(1, 8)]
    assert lines[0].split(": ")[1].startswith("linear-r0 (") and "s so far)" in lines[0]


def test_an_interrupted_report_says_how_far_it_got_and_how_to_go_on(mllab, tmp_path):
    out = tmp_path / "r"
    assert mllab("run", "regression-sigmoids", *FAST, "--set", "repeats=1", "--out",
                 str(out)).returncode == 0
    result = json.loads((out / "result.json").read_text())
    result.update(status="interrupted", progress={"trials_done": 3, "trials_planned": 7})
    (out / "result.json").write_text(json.dumps(result))
    assert mllab("report", str(out)).returncode == 0
    html = (out / "report.html").read_text()
    assert f"The run was interrupted. 3 of 7 trials done. Continue with: mllab resume {out}" \
        in html
    result.update(status="failed", error="ValueError: broken")
    (out / "result.json").write_text(json.dumps(result))
    assert mllab("report", str(out)).returncode == 0
    assert "The run failed. Error: ValueError: broken." in (out / "report.html").read_text()


def test_report_rerenders_from_result_json(mllab, tmp_path):
    out = tmp_path / "run"
    assert mllab("run", "regression-sigmoids", *FAST, "--out", str(out)).returncode == 0
    (out / "report.html").unlink()
    done = mllab("report", str(out))
    assert done.returncode == 0
    verdict = json.loads((out / "result.json").read_text())["verdict"]
    assert f">{verdict}<" in (out / "report.html").read_text()
    shutil.rmtree(out / "trials")  # the report needs only result.json and figures
    assert mllab("report", str(out)).returncode == 0


def test_a_run_on_a_terminal_shows_a_bar_of_trials_with_the_time_left(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mllab", "run", "regression-sigmoids", *FAST, "--set",
         "repeats=1", "--out", str(tmp_path / "r")], stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    text = screen.decode(errors="replace")
    assert "regression-sigmoids:" in text and "3/7 [" in text and "7/7 [" in text
    assert "<" in text.split("3/7 [")[1].split("]")[0]  # tqdm's [elapsed<remaining]
    assert b"1/7:" not in process.stdout.read()  # no per-trial lines on a terminal
