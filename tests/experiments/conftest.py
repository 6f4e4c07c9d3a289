"""What every experiment's quick mode must write: a valid run folder, through the CLI, and the
same metrics and checks again for the same seed (wall-clock timings aside).

The second run, for the first experiment of each lecture (:data:`RERUN`), goes through the
same command line, ``mllab.cli.main``, inside the test's own process: a process that has run
other tests, whose imports and global random state differ from a fresh one's, must still get
the same result from the same seed. One experiment a lecture, not every one, keeps the suite
within its 15 minutes on 2 cores; the experiments of a lecture share its data and training
machinery, and the runner's own tests check the same seed's result and exact resume for the
mechanism every experiment goes through."""

import json
from html import escape

import pytest
import torch

from mllab.cli import main
from mllab.experiments.base import VERDICTS
from mllab.experiments.registry import all_experiments

RESULT_FIELDS = {"experiment", "lecture", "claim", "verdict", "criterion", "metrics", "figures",
                 "settings", "seed", "quick", "threads", "versions", "duration_s", "status"}

RERUN = {next(e.name for e in all_experiments() if e.lecture == lecture)
         for lecture in {e.lecture for e in all_experiments() if not e.job}}
r"""The experiments whose quick run is repeated and compared: the first of each lecture."""


def _seeded(result: dict) -> dict:
    r"""What the seed alone decides: everything but wall-clock timings."""
    metrics = {k: v for k, v in result["metrics"].items() if k != "timing"}
    checks = [c for c in result["checks"] if "wall clock" not in c["statistic"]]
    return {"metrics": metrics, "checks": checks, "settings": result["settings"]}


@pytest.fixture
def quick_run(mllab, tmp_path):
    """``quick_run(name)``: run ``mllab run NAME --quick`` and check the run folder it wrote."""

    def run(name: str) -> dict:
        out = tmp_path / name
        done = mllab("run", name, "--quick", "--out", str(out))
        assert done.returncode == 0, done.stderr
        result = json.loads((out / "result.json").read_text())
        assert RESULT_FIELDS <= set(result)
        assert result["experiment"] == name
        assert result["status"] == "complete" and result["quick"] is True
        assert result["verdict"] in VERDICTS
        assert result["criterion"] and result["metrics"]
        assert set(result["versions"]) == {"mllab", "torch", "python"}
        assert result["figures"]
        assert result["progress"]["trials_done"] == result["progress"]["trials_planned"] > 0
        assert f"{name} {result['progress']['trials_done']}/" in done.stdout  # a line per trial
        for figure in result["figures"]:
            assert (out / figure["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        html = (out / "report.html").read_text()
        assert result["verdict"] in html and escape(result["claim"]) in html
        assert html.count("data:image/png;base64,") == len(result["figures"])
        lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
        assert lines and all("trial" in x for x in lines)
        assert result["verdict"] in done.stdout
        if name not in RERUN:
            return result
        torch.manual_seed(12345)  # a global state that the run must not depend on
        assert main(["run", name, "--quick", "--out", str(tmp_path / f"{name}-again")]) == 0
        second = json.loads((tmp_path / f"{name}-again" / "result.json").read_text())
        assert _seeded(second) == _seeded(result)
        return result

    return run
