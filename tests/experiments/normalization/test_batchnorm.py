"""The batchnorm experiment: its judge on synthetic metrics, and its quick mode end to end."""

import pytest

from mllab.experiments.normalization.batchnorm import BatchNormSettings, judge_batchnorm

S = BatchNormSettings()


def _metrics(bn_top_accuracy=(0.98, 0.97, 0.99), plain_small=(1.5, 1.6, 1.55)):
    runs = {}
    for lr in S.lrs:
        plain = plain_small if lr == S.lrs[0] else (2.3, 2.3, 2.3)
        runs[f"plain-lr={lr:g}"] = [{"auc": a, "train_accuracy": 0.5} for a in plain]
        runs[f"bn-lr={lr:g}"] = [{"auc": 0.4, "train_accuracy": acc}
                                 for acc in bn_top_accuracy]
    return {"runs": runs, "mode_demo": {"train_mode_gap": 0.01, "eval_mode_gap": 0.0}}


@pytest.mark.parametrize(("kwargs", "verdict"), [
    ({}, "reproduced"),
    ({"plain_small": (0.2, 0.25, 0.22)}, "not reproduced"),  # BN slower at the smallest lr
    ({"bn_top_accuracy": (0.98, 0.6, 0.95)}, "inconclusive"),
])
def test_judge(kwargs, verdict):
    evidence = judge_batchnorm(_metrics(**kwargs), S)
    assert len(evidence.checks) == len(S.lrs) + 1 and evidence.verdict() == verdict
    assert "evaluation mode" in evidence.demonstrations[0].shown


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("batchnorm")["checks"]) == 4
