"""The policy-gradient-versions experiment: the gradient variances on the same episodes, its
judge on hand-made metrics for every outcome, the settings it refuses, and its quick mode end
to end."""

import math

import pytest
import torch
from torch import nn

from mllab.experiments.reinforcement_learning.policy_gradient_versions import (
    VersionsSettings,
    gradient_variances,
    judge_versions,
)


class Constant:
    """Every episode the same: 3 steps, reward 1 each, one observation."""

    def reset(self, *, seed):
        self.t = 0
        return torch.ones(4).numpy(), {}

    def step(self, a):
        self.t += 1
        return torch.ones(4).numpy(), 1.0, self.t == 3, False, {}


def test_the_baseline_lowers_the_variance_on_positive_rewards():
    torch.manual_seed(0)
    actor = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    v = gradient_variances(actor, Constant(), batches=50, seed=0,
                           generator=torch.Generator().manual_seed(0))
    assert set(v) == {"v2", "v3"} and 0 < v["v3"] < v["v2"]


def _metrics(v1_gap, v2_gap, ratio, v3_gap):
    runs = []
    for a, b, q, c in zip(v1_gap, v2_gap, ratio, v3_gap, strict=True):
        base = 20.0
        runs.append({"variance": {"v2": 1.0, "v3": q},
                     "versions": {"v0": {"eval_return": base}, "v1": {"eval_return": base + a},
                                  "v2": {"eval_return": base + b},
                                  "v3": {"eval_return": base + b + c}}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([200, 250, 220], [180, 230, 200], [0.2, 0.3, 0.25], [100, 120, 90]),
     ["held"] * 4, "reproduced"),
    (_metrics([-200, -250, -220], [-180, -230, -200], [5.0, 4.0, 6.0], [-100, -120, -90]),
     ["contradicted"] * 4, "not reproduced"),
    (_metrics([100, -100, 30], [80, -90, 20], [0.5, 2.0, 1.0], [40, -60, 20]),
     ["within noise"] * 4, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_versions(metrics, VersionsSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert evidence.checks[2].values[0] == pytest.approx(
        math.log10(metrics["runs"][0]["variance"]["v3"]))


def test_settings_ranges():
    with pytest.raises(ValueError, match="variance_batches must be >= 2"):
        VersionsSettings(variance_batches=1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        VersionsSettings(lr=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("policy-gradient-versions")
    assert len(result["checks"]) == 4
    run = result["metrics"]["runs"][0]
    assert set(run["versions"]) == {"v0", "v1", "v2", "v3"}
    assert all(v["eval_return"] >= 1 for v in run["versions"].values())
