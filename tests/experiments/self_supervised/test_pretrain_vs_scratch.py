"""The pretrain-vs-scratch experiment: its judge on hand-made metrics for every outcome, a
collapsed model makes it inconclusive, and its quick mode end to end."""

import pytest

from mllab.experiments.self_supervised.pretrain_vs_scratch import (
    PretrainVsScratchSettings,
    judge_pretrain_vs_scratch,
)
from mllab.pretraining.downstream_tasks import TASKS


def _metrics(gain, early_gain, scratch=0.6, base=0.4):
    final = {t: {"pretrained": [scratch + g for g in gain], "scratch": [scratch] * 3}
             for t in TASKS}
    early = {t: {"pretrained": [scratch - 0.1 + g for g in early_gain],
                 "scratch": [scratch - 0.1] * 3} for t in TASKS}
    return {"final": final, "early": early, "baseline": {t: [base] * 3 for t in TASKS},
            "metric": {t: "f1" if t == "genealogy-qa" else "accuracy" for t in TASKS},
            "mlm_accuracy": [0.3] * 3, "test_examples": {t: 1000 for t in TASKS}}


@pytest.mark.parametrize(("gain", "early_gain", "outcomes", "verdict"), [
    ((0.05, 0.06, 0.055), (0.1, 0.12, 0.11), ["held"] * 5, "reproduced"),
    ((-0.05, -0.06, -0.055), (0.1, 0.12, 0.11), ["contradicted"] * 4 + ["held"],
     "not reproduced"),
    ((0.05, 0.06, 0.055), (-0.02, 0.03, 0.0), ["held"] * 4 + ["within noise"],
     "inconclusive"),
])
def test_judge(gain, early_gain, outcomes, verdict):
    evidence = judge_pretrain_vs_scratch(_metrics(gain, early_gain), PretrainVsScratchSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert all(p.holds for p in evidence.preconditions)


def test_a_model_at_its_baseline_makes_the_verdict_inconclusive():
    m = _metrics((0.05, 0.06, 0.055), (0.1, 0.12, 0.11))
    m["final"]["punctuation"]["scratch"][1] = 0.4  # collapsed onto the majority label
    evidence = judge_pretrain_vs_scratch(m, PretrainVsScratchSettings())
    assert not evidence.preconditions[0].holds and "punctuation +0.000" in \
        evidence.preconditions[0].shown
    assert evidence.verdict() == "inconclusive"


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("pretrain-vs-scratch")
