"""``mllab verify``: the full mode under several master seeds, counted per check and for the
verdict; kept runs are reused; the course index reads the stability."""

import json
from dataclasses import dataclass

import pytest

from mllab.experiments import Result, Settings, experiment
from mllab.experiments.base import REGISTRY
from mllab.experiments.evidence import Check, Evidence
from mllab.experiments.verify import stability, summarize, verify


def _result(verdict, outcomes):
    return {"verdict": verdict, "quick": False,
            "checks": [{"claim": f"c{i}", "outcome": o} for i, o in enumerate(outcomes)]}


def test_summary_counts_agreement_and_stability():
    results = [_result("reproduced", ["held", "held"])] * 4 + \
        [_result("inconclusive", ["held", "within noise"])]
    s = summarize("x", list(range(5)), results)
    assert (s["verdict"], s["agree"], s["stable"]) == ("reproduced", 4, True)
    assert [c["agree"] for c in s["checks"]] == [5, 4]
    s = summarize("x", list(range(5)), results[:3] + [_result("not reproduced", ["x", "y"])] * 2)
    assert (s["agree"], s["stable"]) == (3, False)


@dataclass
class Coin(Settings):
    n: int = 3
    """Values per run."""


def judge_coin(m, s):
    return Evidence([Check("the seed's values are positive", "value", m["values"], margin=0.0,
                           reason="a direction")])


@pytest.fixture
def coin():
    @experiment(name="coin-verify", lecture="Test", claim="c", judge=judge_coin)
    def run(s: Coin, ctx) -> Result:
        import torch

        return Result(metrics={"values": (0.1 * torch.rand(s.n, generator=ctx.generator("v")) + 1)
                               .tolist()})

    yield REGISTRY["coin-verify"]
    del REGISTRY["coin-verify"]


def test_verify_runs_every_seed_once_and_writes_its_page(coin, tmp_path):
    seen = []
    summary = verify(coin, seeds=3, out=tmp_path, on_start=lambda k, d: seen.append(k))
    assert seen == [0, 1, 2] and summary["verdicts"] == ["reproduced"] * 3 and summary["stable"]
    assert json.loads((tmp_path / "verify.json").read_text()) == summary
    page = (tmp_path / "verify.html").read_text()
    assert 'href="seed-2/report.html"' in page and "3/3" in page
    before = (tmp_path / "seed-0" / "result.json").read_text()
    again = verify(coin, seeds=3, out=tmp_path)  # kept, not run again
    assert (tmp_path / "seed-0" / "result.json").read_text() == before and again == summary
    assert stability("verify-tmp", root=tmp_path) is None
    (tmp_path / "coin-verify").mkdir()
    (tmp_path / "coin-verify" / "verify.json").write_text(json.dumps(summary))
    assert stability("coin-verify", root=tmp_path) == "3/3 stable (reproduced)"
