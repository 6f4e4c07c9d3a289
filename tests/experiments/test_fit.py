"""``mllab fit`` end to end on a SYNTHETIC table of the course's first homework: the run folder,
cross-validation, the saved model and the submission; exact resume after SIGKILL; a
classification table; the settings' checks."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.data import load_csv
from mllab.experiments.fit import FitSettings
from mllab.train import TabularEstimator

SMALL = ["--target", "tested_positive.2", "--select", "8", "--model", "8", "--epochs", "15",
         "--lr", "0.03", "--batch-size", "64", "--patience", "5", "--seed", "3"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    for args in (["train.csv", "--rows", "400"], ["test.csv", "--rows", "50", "--test"]):
        done = subprocess.run([sys.executable, "-m", "mllab", "data", "make-covid-like",
                               *args], cwd=folder, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "SYNTHETIC" in done.stdout, done.stderr
    return folder


def test_fit_writes_a_run_with_cv_model_and_submission(mllab, tables, tmp_path):
    run = tmp_path / "run"
    done = mllab("fit", str(tables / "train.csv"), *SMALL, "--cv", "3", "--predict",
                 str(tables / "test.csv"), "--out", str(run))
    assert done.returncode == 0, done.stderr
    assert "validation MSE" in done.stdout and "3-fold CV MSE" in done.stdout
    result = json.loads((run / "result.json").read_text())
    assert (result["experiment"], result["verdict"], result["status"]) == ("fit", None,
                                                                            "complete")
    m = result["metrics"]
    assert len(m["cv"]["folds"]) == 3 and m["cv"]["mean"] == pytest.approx(
        sum(m["cv"]["folds"]) / 3)
    assert 0 < m["final"]["train_loss"] and 0 < m["final"]["valid_loss"] < 50
    assert [t["title"].split(":")[0] for t in result["tables"]] == [
        "Feature scores", "3-fold cross-validation (MSE on each held-out fold; scaling and "
        "selection refitted on the other folds)"]
    assert sum(row[3] for row in result["tables"][0]["rows"]) == 8  # the features used
    assert {"trial": "final"}.items() <= json.loads(
        (run / "metrics.jsonl").read_text().splitlines()[-1]).items()
    assert (run / "report.html").is_file() and (run / "fit.png").is_file()
    est = TabularEstimator.load(run / "model")
    test = load_csv(tables / "test.csv", columns=est.feature_names)
    with open(run / "submission.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "tested_positive"] and len(rows) == 51
    assert [r[0] for r in rows[1:]] == list(test.ids)
    torch.testing.assert_close(torch.tensor([float(r[1]) for r in rows[1:]]),
                               est.predict(test.x), rtol=1e-5, atol=1e-4)
    # the valid loss the run reports is the saved model's on the seeded split
    from mllab.data import train_valid_split

    table = load_csv(tables / "train.csv", target="tested_positive.2")
    _, valid = train_valid_split(len(table.y), 0.2, 3)
    assert est.loss(table.x[valid], table.y[valid]) == pytest.approx(m["final"]["valid_loss"])


def _metrics(run: Path) -> dict:
    m = json.loads((run / "result.json").read_text())["metrics"]
    return {k: v for k, v in m.items() if k not in ("summary", "submission")}


def test_a_fit_killed_with_sigkill_resumes_to_the_same_weights(mllab, tables, tmp_path):
    args = [str(tables / "train.csv"), *SMALL, "--cv", "2", "--patience", "none"]
    reference = tmp_path / "reference"
    assert mllab("fit", *args, "--out", str(reference)).returncode == 0
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "mllab", "fit", *args, "--out", str(run)],
                            env={**os.environ, "MLLAB_CHECKPOINT_SECONDS": "0"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(run.glob("trials/fold-2/checkpoints/step-*[0-9]")):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert json.loads((run / "result.json").read_text())["status"] == "running"
    done = mllab("resume", str(run))
    assert done.returncode == 0, done.stderr
    assert _metrics(run) == _metrics(reference)
    assert (run / "model/estimator.safetensors").read_bytes() == \
        (reference / "model/estimator.safetensors").read_bytes()
    assert (run / "metrics.jsonl").read_text() == (reference / "metrics.jsonl").read_text()


def test_a_classification_table_reports_accuracy_and_predicts_labels(mllab, tmp_path):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 3, generator=g)
    label = (x[:, 0] - x[:, 1] > 0).long() * 5 + 1  # labels 1 and 6
    lines = ["id,u,v,w,kind"] + [f"{i},{a:.4f},{b:.4f},{c:.4f},{k}"
                                  for i, ((a, b, c), k) in enumerate(zip(x.tolist(),
                                                                         label.tolist(),
                                                                         strict=True))]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    done = mllab("fit", "t.csv", "--target", "kind", "--task", "classification", "--lr", "0.01",
                 "--epochs", "40", "--batch-size", "16", "--predict", "t.csv", "--out", "r",
                 cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    m = json.loads((tmp_path / "r/result.json").read_text())["metrics"]
    assert m["final"]["valid_accuracy"] > 0.8 and "validation accuracy" in m["summary"]
    with open(tmp_path / "r/submission.csv", newline="") as f:
        predicted = [r[1] for r in list(csv.reader(f))[1:]]
    assert set(predicted) <= {"1", "6"} and len(predicted) == 120


@pytest.mark.parametrize(("changes", "match"), [
    ({"valid_ratio": 1.0}, "valid_ratio must be in"),
    ({"cv": 1}, "cv must be an integer >= 2"),
    ({"repeats": 1}, "repeats must be an integer >= 2"),
    ({"overfit_ratio": 1.0}, "overfit_ratio must be > 1"),
    ({"hidden": (0,)}, "hidden must be a tuple of integers >= 1"),
])
def test_settings_name_the_bad_field(changes, match):
    with pytest.raises(ConfigError, match=match):
        FitSettings(**changes)
