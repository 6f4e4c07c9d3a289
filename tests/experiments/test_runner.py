"""Running experiments into run folders: same seed, same result; a run killed with SIGKILL (or
stopped by SIGTERM) and resumed ends bitwise identical; ``mllab course`` runs a lecture into one
folder with an index, and running the same folder again keeps finished runs."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from mllab.config import require
from mllab.experiments import Result, Settings, experiment
from mllab.experiments.base import REGISTRY
from mllab.experiments.evidence import Check, Evidence
from mllab.experiments.runner import run_course
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.train import TrainConfig


def _stable(run: Path) -> dict:
    result = json.loads((run / "result.json").read_text())
    return {k: result[k] for k in ("verdict", "criterion", "checks", "metrics", "settings",
                                   "tables")}


def _weights(run: Path) -> dict:
    return {p.parent.name: p.read_bytes() for p in sorted(run.glob("trials/*/model.safetensors"))}


SMALL_DEPTH = ["regression-depth", "--quick", "--set", "epochs=120", "--set", "max_depth=3",
               "--set", "width=16", "--set", "repeats=1", "--seed", "7"]


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
    _wait_for(run, "trials/depth-2-r0/checkpoints/step-*[0-9]", proc)
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    if how == "SIGKILL":
        assert proc.returncode == -signal.SIGKILL
        assert json.loads((run / "result.json").read_text())["status"] == "running"
    else:
        assert proc.returncode == 0, err
        assert "mllab resume" in err and "Traceback" not in err
        assert json.loads((run / "result.json").read_text())["status"] == "interrupted"
    assert not (run / "trials/depth-3-r0/model.safetensors").exists()
    done = mllab("resume", str(run), env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "result.json").read_text())["status"] == "complete"
    assert _weights(run) == _weights(reference) and len(_weights(run)) == 3
    assert _stable(run) == _stable(reference)
    assert (run / "metrics.jsonl").read_text() == (reference / "metrics.jsonl").read_text()


LECTURE = "Test lecture"


@dataclass
class TinySettings(Settings):
    epochs: int = 20
    """Updates (>= 1)."""

    def validate(self) -> None:
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)

    @classmethod
    def quick(cls) -> "TinySettings":
        return cls(epochs=5)


def judge_tiny(m: dict, s: TinySettings) -> Evidence:
    return Evidence(checks=[Check("gradient descent lowers the loss", "initial minus final loss",
                                  m["drops"], margin=0.0, reason="a direction")])


@pytest.fixture
def tiny_lecture():
    @experiment(name="tiny-descent", lecture=LECTURE, judge=judge_tiny,
                claim="Gradient descent lowers the loss.")
    def tiny(s: TinySettings, ctx) -> Result:
        drops = []
        for r in range(6):
            x = torch.randn(16, 2, generator=ctx.generator(f"x{r}"))
            y = x.sum(1)
            with ctx.trial(f"fit-{r}") as t:
                model = LinearModel(2)
                initial = mse(model(x), y).item()
                fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), mse, (x, y),
                            None, TrainConfig(epochs=s.epochs))
            drops.append(initial - fit.history[-1]["train_loss"])
        return Result(metrics={"drops": drops})

    yield
    del REGISTRY["tiny-descent"]


def test_course_runs_a_lecture_and_writes_the_index(tiny_lecture, tmp_path):
    out, results = run_course(quick=True, only="test LECTURE", out=tmp_path)
    assert [r["experiment"] for r in results] == ["tiny-descent"]
    assert results[0]["settings"] == {"epochs": 5}, results[0].get("error")
    assert results[0]["verdict"] == "reproduced", results[0]["criterion"]
    index = (tmp_path / "index.html").read_text()
    assert 'href="tiny-descent/report.html"' in index and "reproduced" in index
    before = (tmp_path / "tiny-descent" / "result.json").read_text()
    _, again = run_course(quick=True, only=LECTURE, out=tmp_path)  # kept, not re-run
    assert (tmp_path / "tiny-descent" / "result.json").read_text() == before
    assert json.loads(before)["metrics"] == again[0]["metrics"]


