"""The momentum experiment: its judge on synthetic metrics, one family by hand, and its quick
mode end to end."""

import math

import pytest
import torch

from mllab.experiments.batch_momentum.momentum import MomentumSettings, _family, judge_momentum
from mllab.optim import GradientDescent, Momentum

S = MomentumSettings()
SHOW = {"gradient-descent": {"theta": -0.38, "loss": 2.08, "grad_abs": 1e-16,
                             "nearest": "local minimum"},
        "momentum": {"theta": 1.5, "loss": 0.0, "grad_abs": 1e-9, "nearest": "global minimum"}}


def _metrics(shares, stopping=(10, 12, 9)):
    families = [{"cases": 20, "stopping": k, "passed": 0 if k == 0 else round(sh * k), "share": sh}
                for sh, k in zip(shares, stopping, strict=True)]
    return {"families": families, "illustration": SHOW}


@pytest.mark.parametrize(("shares", "stopping", "verdict"), [
    ((0.9, 1.0, 0.89), (10, 12, 9), "reproduced"),
    ((0.1, 0.2, 0.0), (10, 12, 9), "not reproduced"),
    ((0.9, 0.2, 0.6), (10, 12, 9), "inconclusive"),
    ((0.9, 1.0, math.nan), (10, 12, 0), "inconclusive"),  # a family without a stopping case
])
def test_judge(shares, stopping, verdict):
    assert judge_momentum(_metrics(shares, stopping), S).verdict() == verdict


def test_a_family_counts_stopping_cases_and_passes():
    methods = {"gradient-descent": lambda p: GradientDescent(p, lr=S.lr),
               "momentum": lambda p: Momentum(p, lr=S.lr, momentum=S.momentum)}
    family = _family(MomentumSettings(cases=6), methods, torch.Generator().manual_seed(0))
    assert family["cases"] == 6 and 0 <= family["passed"] <= family["stopping"] <= 6
    assert family["stopping"] >= 1
    again = _family(MomentumSettings(cases=6), methods, torch.Generator().manual_seed(0))
    assert again == family


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("momentum")["checks"]) == 1
