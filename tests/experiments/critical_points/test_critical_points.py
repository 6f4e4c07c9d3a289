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


def _metrics(shares=(0.0, 0.02, 0.0), rhos=(-0.8, -0.7, -0.75), kept=(20, 18, 22)):
    studies = [{"kept": k, "share_no_negative": sh, "spearman": rho, "p_value": 0.001}
               for sh, rho, k in zip(shares, rhos, kept, strict=True)]
    demo = {"grad_norm": 0.0, "gd_loss_change": 0.0, "eigenvalues": [-2.0, 2.0],
            "escape_before": 1.0, "escape_after": 0.25}
    return {"studies": studies, "saddle_demo": demo}


@pytest.mark.parametrize(("changes", "outcomes", "verdict"), [
    ({}, ["held", "held"], "reproduced"),
    ({"shares": (0.3, 0.25, 0.35)}, ["contradicted", "held"], "not reproduced"),
    ({"rhos": (0.5, 0.6, 0.4)}, ["held", "contradicted"], "not reproduced"),
    ({"rhos": (-0.5, 0.4, 0.1)}, ["held", "within noise"], "inconclusive"),
    ({"kept": (20, 3, 22)}, ["held", "held"], "inconclusive"),  # a precondition fails
])
def test_judge_follows_the_numbers(changes, outcomes, verdict):
    evidence = judge_critical_points(_metrics(**changes), CriticalPointSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert len(evidence.demonstrations) == 2  # the saddle demo teaches, never decides


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("critical-points")
