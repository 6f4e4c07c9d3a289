"""The batch-size experiment: its judge on synthetic metrics (timings, accuracies, sharpness,
the convergence precondition), and its quick mode end to end."""

import pytest

from mllab.experiments.batch_momentum.batch_size import BatchSizeSettings, judge_batch_size


def _runs(label, valid, test, lam, train=1.0):
    return [{"label": label, "validation_accuracy": v, "test_accuracy": t, "lambda_max": m,
             "train_accuracy": train} for v, t, m in zip(valid, test, lam, strict=True)]


def _metrics(small_valid=(0.97, 0.98, 0.975), large_lam=(0.16, 0.17, 0.165), train=1.0,
             full_seconds=(0.0009, 0.001, 0.0011)):
    timing = {"batch_sizes": ["1", "10", "full (1079)"],
              "round_seconds": [[0.4, 0.42, 0.41], [0.04, 0.05, 0.045], list(full_seconds)],
              "epoch_seconds": [0.41, 0.045, sorted(full_seconds)[1]]}
    runs = {"small": _runs("10", small_valid, (0.97, 0.975, 0.972), (0.13, 0.14, 0.135)),
            "large": _runs("full (1079)", (0.96, 0.965, 0.962), (0.96, 0.962, 0.958), large_lam,
                           train=train)}
    return {"timing": timing, "runs": runs}


@pytest.mark.parametrize(("kwargs", "outcomes", "verdict"), [
    ({}, ["held"] * 5, "reproduced"),
    ({"small_valid": (0.95, 0.955, 0.952)}, ["held", "held", "contradicted", "held", "held"],
     "not reproduced"),
    ({"large_lam": (0.16, 0.10, 0.14)}, ["held"] * 4 + ["within noise"], "inconclusive"),
    ({"full_seconds": (0.05, 0.045, 0.04)}, ["held", "within noise", "held", "held", "held"],
     "inconclusive"),
    ({"train": 0.9}, ["held"] * 5, "inconclusive"),  # the large-batch runs did not converge
])
def test_judge(kwargs, outcomes, verdict):
    evidence = judge_batch_size(_metrics(**kwargs), BatchSizeSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("batch-size")
    assert len(result["checks"]) == 7 and "wall clock" in result["notes"][0]
