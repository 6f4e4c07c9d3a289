"""The adapters experiment: its judge on hand-made metrics for every outcome, a collapsed
model makes it inconclusive, each method freezes the encoder but keeps the head, and its
quick mode end to end."""

import pytest
import torch

from mllab.experiments.self_supervised.adapters import (
    METHODS,
    TASK_NAMES,
    AdaptersSettings,
    adapt,
    judge_adapters,
)
from mllab.peft.trainable import trainable_share
from mllab.pretraining import Bert, BertConfig
from mllab.pretraining.fine_tuning import FineTuningModel


def _metrics(gaps, full=0.7, base=0.5):
    acc = {t: {"full": [full] * 3, **{k: [full + g for g in gaps] for k in METHODS[1:]}}
           for t in TASK_NAMES}
    share = {t: {k: 1.0 if k == "full" else 0.02 for k in METHODS} for t in TASK_NAMES}
    size = {t: {k: 700_000 if k == "full" else 8_000 for k in METHODS} for t in TASK_NAMES}
    return {"accuracy": acc, "baseline": {t: [base] * 3 for t in TASK_NAMES}, "share": share,
            "bytes": size, "mlm_accuracy": [0.3] * 3, "parameters": 175_000}


@pytest.mark.parametrize(("gaps", "outcome", "verdict"), [
    ((-0.005, 0.0, -0.01), "held", "reproduced"),
    ((-0.10, -0.12, -0.11), "contradicted", "not reproduced"),
    ((-0.03, -0.01, -0.05), "within noise", "inconclusive"),
])
def test_judge(gaps, outcome, verdict):
    evidence = judge_adapters(_metrics(gaps), AdaptersSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome] * 5
    assert all(c.threshold == -0.03 for c in evidence.checks)
    assert evidence.verdict() == verdict
    assert "lora 2.00% (8,000 B)" in evidence.demonstrations[0].shown


def test_a_collapsed_model_makes_the_verdict_inconclusive():
    m = _metrics((-0.005, 0.0, -0.01))
    m["accuracy"]["sentiment"]["prefix"][2] = 0.5  # the majority class everywhere
    evidence = judge_adapters(m, AdaptersSettings())
    assert not evidence.preconditions[0].holds and evidence.verdict() == "inconclusive"


@pytest.mark.parametrize("method", METHODS)
def test_each_method_trains_its_parameters_and_the_head(method):
    torch.manual_seed(0)
    bert = Bert(BertConfig(vocab=30, d_model=16, num_heads=2, d_ff=32, num_layers=2,
                           max_len=8))
    model = FineTuningModel(bert, "sequence", 3)
    adapt(method, model, AdaptersSettings(), torch.Generator().manual_seed(0))
    assert all(p.requires_grad for p in model.head.parameters())
    share = trainable_share(model)
    assert share == 1.0 if method == "full" else share < 0.2
    if method != "full":
        assert not model.bert.token_embedding.weight.requires_grad


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("adapters")
