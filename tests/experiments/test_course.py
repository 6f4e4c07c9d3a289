"""`mllab course`: every experiment of a lecture into one folder, an index, and re-running
the same folder keeps finished runs."""

import json
from dataclasses import dataclass

import pytest
import torch

from mllab.experiments import Result, Settings, experiment, require
from mllab.experiments.base import REGISTRY
from mllab.experiments.registry import UnknownExperiment, experiments_of
from mllab.experiments.runner import run_course
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.train import TrainConfig

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


def judge_tiny(m: dict, s: TinySettings) -> tuple[str, str]:
    ok = m["final"] < m["initial"]
    return ("reproduced" if ok else "not reproduced"), f"{m['final']:.3g} < {m['initial']:.3g}"


@pytest.fixture
def tiny_lecture():
    @experiment(name="tiny-descent", lecture=LECTURE, judge=judge_tiny,
                claim="Gradient descent lowers the loss.")
    def tiny(s: TinySettings, ctx) -> Result:
        x = torch.randn(16, 2, generator=ctx.generator("x"))
        y = x.sum(1)
        with ctx.trial("fit") as t:
            model = LinearModel(2)
            initial = mse(model(x), y).item()
            fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), mse, (x, y), None,
                        TrainConfig(epochs=s.epochs))
        return Result(metrics={"initial": initial, "final": fit.history[-1]["train_loss"]})

    yield
    del REGISTRY["tiny-descent"]


def test_course_runs_a_lecture_and_writes_the_index(tiny_lecture, tmp_path):
    out, results = run_course(quick=True, only="test LECTURE", out=tmp_path)
    assert [r["experiment"] for r in results] == ["tiny-descent"]
    assert results[0]["verdict"] == "reproduced" and results[0]["settings"] == {"epochs": 5}
    index = (tmp_path / "index.html").read_text()
    assert 'href="tiny-descent/report.html"' in index and "reproduced" in index
    before = (tmp_path / "tiny-descent" / "result.json").read_text()
    _, again = run_course(quick=True, only=LECTURE, out=tmp_path)  # kept, not re-run
    assert (tmp_path / "tiny-descent" / "result.json").read_text() == before
    assert json.loads(before)["metrics"] == again[0]["metrics"]


def test_unknown_lecture_lists_the_lectures(tiny_lecture):
    with pytest.raises(UnknownExperiment, match="Regression.*Test lecture"):
        experiments_of("astrology")
