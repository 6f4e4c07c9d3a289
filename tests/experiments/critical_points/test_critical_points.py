"""The critical-points experiment: pretraining steps, the judge on synthetic metrics, the quick
mode."""


import pytest
import torch

from mllab.experiments.critical_points.critical_points import (
    CriticalPointSettings,
    judge_critical_points,
    pretraining_steps,
)


def test_pretraining_steps_are_log_uniform_in_range():
    steps = pretraining_steps(2000, 10, 1000, torch.Generator().manual_seed(0))
    assert min(steps) >= 10 and max(steps) <= 1000
    below_100 = sum(k < 100 for k in steps) / len(steps)
    assert below_100 == pytest.approx(0.5, abs=0.05)  # log-uniform: half below the geometric mean
    assert steps == pretraining_steps(2000, 10, 1000, torch.Generator().manual_seed(0))


def _metrics(share_no_negative=0.0, rho=-0.8, p=0.001, change=0.0, kept=20):
    study = {"kept": kept, "networks": 30, "share_no_negative": share_no_negative,
             "no_negative": round(share_no_negative * kept), "ratio_one": 0,
             "ratio_min": 0.1, "ratio_max": 0.9, "spearman": rho, "p_value": p}
    demo = {"gd_loss_change": change, "lambda_min": -2.0, "escape_before": 1.0,
            "escape_after": 0.25}
    return {"study": study, "saddle_demo": demo}


@pytest.mark.parametrize(("changes", "verdict"), [
    ({}, "reproduced"),
    ({"share_no_negative": 0.2}, "not reproduced"),
    ({"rho": 0.3}, "not reproduced"),
    ({"p": 0.2}, "not reproduced"),
    ({"change": -1e-3}, "not reproduced"),
    ({"kept": 3}, "inconclusive"),
])
def test_judge_follows_the_numbers(changes, verdict):
    assert judge_critical_points(_metrics(**changes), CriticalPointSettings())[0] == verdict


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("critical-points")
