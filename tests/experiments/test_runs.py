"""End to end through the CLI: every quick mode writes a valid run; same seed, same result;
a run killed with SIGKILL (or stopped by SIGTERM) and resumed ends bitwise identical."""

import json
import os
import signal
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from mllab.experiments import all_experiments
from mllab.experiments.base import VERDICTS

RESULT_FIELDS = {"experiment", "lecture", "claim", "verdict", "criterion", "metrics", "figures",
                 "settings", "seed", "quick", "threads", "versions", "duration_s", "status"}


@pytest.mark.parametrize("name", [e.name for e in all_experiments()])
def test_quick_mode_writes_a_valid_run(mllab, tmp_path, name):
    out = tmp_path / name
    done = mllab("run", name, "--quick", "--out", str(out))
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    assert RESULT_FIELDS <= set(result)
    assert result["status"] == "complete" and result["quick"] is True
    assert result["verdict"] in VERDICTS
    assert result["criterion"] and result["metrics"]
    assert set(result["versions"]) == {"mllab", "torch", "python"}
    assert result["figures"]
    for figure in result["figures"]:
        assert (out / figure["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "report.html").read_text()
    assert result["verdict"] in html and escape(result["claim"]) in html
    assert html.count("data:image/png;base64,") == len(result["figures"])
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines and all("trial" in x for x in lines)
    assert result["verdict"] in done.stdout


def _stable(run: Path) -> dict:
    result = json.loads((run / "result.json").read_text())
    return {k: result[k] for k in ("verdict", "criterion", "metrics", "settings", "tables")}


def _weights(run: Path) -> dict:
    return {p.parent.name: p.read_bytes() for p in sorted(run.glob("trials/*/model.safetensors"))}


SMALL_DEPTH = ["regression-depth", "--quick", "--set", "epochs=120", "--set", "max_depth=3",
               "--set", "width=16", "--seed", "7"]


def test_same_seed_same_result(mllab, tmp_path):
    for run in ("a", "b"):
        assert mllab("run", *SMALL_DEPTH, "--out", str(tmp_path / run)).returncode == 0
    assert _stable(tmp_path / "a") == _stable(tmp_path / "b")
    assert _weights(tmp_path / "a") == _weights(tmp_path / "b")
    assert (tmp_path / "a/metrics.jsonl").read_text() == (tmp_path / "b/metrics.jsonl").read_text()


def _start(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mllab", *args], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(pattern_root: Path, pattern: str, proc: subprocess.Popen, timeout=120) -> None:
    deadline = time.monotonic() + timeout
    while not list(pattern_root.glob(pattern)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killed_and_resumed_run_is_bitwise_identical(mllab, tmp_path, how):
    env = {"MLLAB_CHECKPOINT_SECONDS": "0"}
    reference = tmp_path / "reference"
    assert mllab("run", *SMALL_DEPTH, "--out", str(reference)).returncode == 0
    run = tmp_path / "killed"
    proc = _start(["run", *SMALL_DEPTH, "--out", str(run)], env)
    # Kill while the second trial trains: the first is finished, the second half done.
    _wait_for(run, "trials/depth-2/checkpoints/step-*[0-9]", proc)
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    if how == "SIGKILL":
        assert proc.returncode == -signal.SIGKILL
        assert json.loads((run / "result.json").read_text())["status"] == "running"
    else:
        assert proc.returncode == 0, err
        assert "mllab resume" in err and "Traceback" not in err
        assert json.loads((run / "result.json").read_text())["status"] == "interrupted"
    assert not (run / "trials/depth-3/model.safetensors").exists()
    done = mllab("resume", str(run), env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "result.json").read_text())["status"] == "complete"
    assert _weights(run) == _weights(reference) and len(_weights(run)) == 3
    assert _stable(run) == _stable(reference)
    assert (run / "metrics.jsonl").read_text() == (reference / "metrics.jsonl").read_text()
