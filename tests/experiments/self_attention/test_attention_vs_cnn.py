"""The attention-vs-cnn experiment: its comparison rule on hand-made metrics for every outcome,
its data views, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.self_attention.attention_vs_cnn import (
    AttentionCNNSettings,
    _data,
    judge_attention_cnn,
)


def _metrics(cnn_small, attention_small, cnn_all, attention_all):
    return {"sizes": ["50", "1079"],
            "test_accuracy_runs": {"cnn": {"50": list(cnn_small), "1079": list(cnn_all)},
                                   "self-attention": {"50": list(attention_small),
                                                      "1079": list(attention_all)}}}


@pytest.mark.parametrize(("runs", "outcomes", "verdict"), [
    (((0.80, 0.82, 0.81), (0.60, 0.62, 0.61), (0.98, 0.97, 0.98), (0.95, 0.96, 0.95)),
     ["held", "held"], "reproduced"),
    (((0.60, 0.62, 0.61), (0.80, 0.82, 0.81), (0.98, 0.97, 0.98), (0.95, 0.96, 0.95)),
     ["contradicted", "contradicted"], "not reproduced"),
    (((0.80, 0.82, 0.81), (0.78, 0.83, 0.79), (0.98, 0.97, 0.98), (0.95, 0.96, 0.95)),
     ["within noise", "within noise"], "inconclusive"),
    (((0.80, 0.82, 0.81), (0.60, 0.62, 0.61), (0.98, 0.97, 0.98), (0.70, 0.72, 0.71)),
     ["held", "contradicted"], "not reproduced"),
])
def test_judge(runs, outcomes, verdict):
    evidence = judge_attention_cnn(_metrics(*runs), AttentionCNNSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_data_gives_images_and_patches_of_the_same_pixels():
    from mllab.data import load_dataset

    raw = load_dataset("digits", seed=0, standardize=False)
    train, valid, test = _data(raw, torch.arange(50), 2)
    assert train[0].shape == (50, 64) and train[1].shape == (50, 16, 4)
    assert len(valid[2]) == len(raw.y_valid) and len(test[2]) == len(raw.y_test)
    assert train[0].min() >= -1 and train[0].max() <= 1
    assert torch.equal(train[1][:, 0], train[0].reshape(50, 8, 8)[:, :2, :2].reshape(50, 4))


@pytest.mark.parametrize("sizes", [(50,), (100, 50), (0, 50), (5, 0)])
def test_bad_sizes_raise(sizes):
    from mllab.experiments.base import SettingsError

    with pytest.raises(SettingsError, match="sizes"):
        AttentionCNNSettings(sizes=sizes)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("attention-vs-cnn")
    assert result["metrics"]["sizes"] == ["50", "1079"]
