"""The compression-tradeoffs experiment: its judge on hand-made metrics for every outcome (and a
standard CNN too weak to compress), the settings' ranges, the plain copy of a pruned network,
and its quick mode end to end."""

import pytest
import torch

from mllab.compression import apply_mask, get_mask, magnitude_mask
from mllab.experiments.compression.compression_tradeoffs import (
    TradeoffSettings,
    _cnn,
    _permanent,
    _pruned_layers,
    judge_tradeoffs,
)


def _metrics(separable_gap, finetune_gain, recovered_gap, lottery_gain, quantised_gap,
             standard=0.98):
    r"""Per repeat: the standard CNN at ``standard``, each other variant at a gap from it (or
    from its partner); the pruned networks at 0.95 (the highest default ratio); a variant at
    0.5 that the checks must not read."""
    runs = []
    for d_sep, d_ft, d_rec, d_lot, d_q in zip(separable_gap, finetune_gain, recovered_gap,
                                              lottery_gain, quantised_gap, strict=True):
        finetuned = standard - d_rec
        runs.append({
            "standard": {"test": standard, "bytes": 376_000, "parameters": 93_962},
            "separable": {"test": standard - d_sep, "bytes": 52_000, "parameters": 13_002},
            "pruned-0.5": {"test": 0.1, "bytes": 190_000, "sparsity": 0.5},
            "finetuned-0.5": {"test": 0.1, "bytes": 190_000, "sparsity": 0.5},
            "pruned-0.95": {"test": finetuned - d_ft, "bytes": 20_000, "sparsity": 0.947},
            "finetuned-0.95": {"test": finetuned, "bytes": 20_000, "sparsity": 0.947},
            "ticket": {"test": 0.9, "bytes": 20_000, "sparsity": 0.947},
            "reinit": {"test": 0.9 - d_lot, "bytes": 20_000, "sparsity": 0.947},
            "quantised-standard": {"test": standard - d_q, "bytes": 95_000},
            "quantised-separable": {"test": standard - d_sep, "bytes": 14_000}})
    layers = [{"layer": "conv2", "c_in": 32, "c_out": 64, "standard": 18_496,
               "separable": 2_432, "standard_formula": 18_496, "separable_formula": 2_432}]
    return {"runs": runs, "layers": layers}


SMALL = [0.0, 0.005, -0.005, 0.002, 0.0]
HELD = _metrics(SMALL, [0.5, 0.6, 0.55, 0.5, 0.6], SMALL, [0.03, 0.04, 0.035, 0.03, 0.04],
                [0.0, 0.001, -0.001, 0.0, 0.002])
LARGE = [0.05, 0.06, 0.055, 0.05, 0.06]
CONTRADICTED = _metrics(LARGE, [-0.1, -0.12, -0.11, -0.1, -0.12], LARGE,
                        [-0.03, -0.04, -0.035, -0.03, -0.04], LARGE)
SPREAD = [0.0, 0.04, -0.02, 0.03, 0.01]
NOISE = _metrics(SPREAD, [0.1, -0.05, 0.08, 0.0, 0.02], SPREAD, [0.03, -0.03, 0.02, -0.02, 0.0],
                 [0.0, 0.02, -0.01, 0.015, 0.005])
WEAK = _metrics(SMALL, [0.5, 0.6, 0.55, 0.5, 0.6], SMALL, [0.03, 0.04, 0.035, 0.03, 0.04],
                [0.0, 0.001, -0.001, 0.0, 0.002], standard=0.9)


@pytest.mark.parametrize(("metrics", "outcome", "verdict"), [
    (HELD, "held", "reproduced"),
    (CONTRADICTED, "contradicted", "not reproduced"),
    (NOISE, "within noise", "inconclusive"),
    (WEAK, "held", "inconclusive"),
])
def test_judge(metrics, outcome, verdict):
    evidence = judge_tradeoffs(metrics, TradeoffSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome] * 5
    assert evidence.verdict() == verdict
    assert len(evidence.demonstrations) == 2 and "7.23x fewer" in evidence.demonstrations[0].shown


def test_one_check_contradicted_is_enough():
    metrics = _metrics(SMALL, [0.5, 0.6, 0.55, 0.5, 0.6], SMALL,
                       [-0.03, -0.04, -0.035, -0.03, -0.04], [0.0, 0.001, -0.001, 0.0, 0.002])
    evidence = judge_tradeoffs(metrics, TradeoffSettings())
    assert [c.outcome() for c in evidence.checks] == ["held"] * 3 + ["contradicted", "held"]
    assert evidence.verdict() == "not reproduced"


def test_settings_ranges():
    with pytest.raises(ValueError, match="channels must be three integers >= 1"):
        TradeoffSettings(channels=(8, 16))
    with pytest.raises(ValueError, match=r"prune_ratios must be one or more numbers in \(0, 1\)"):
        TradeoffSettings(prune_ratios=(0.5, 1.0))
    with pytest.raises(ValueError, match=r"bits must be in 1\.\.8"):
        TradeoffSettings(bits=9)
    with pytest.raises(ValueError, match=r"lottery_margin must be in \[0, 1\)"):
        TradeoffSettings(lottery_margin=-0.01)


def test_the_plain_copy_keeps_the_pruned_function_and_leaves_the_original_masked():
    torch.manual_seed(0)
    model = _cnn((4, 8, 16), separable=False)
    for layer in _pruned_layers(model).values():
        apply_mask(layer, magnitude_mask(layer.weight, 0.9))
    x = torch.rand(5, 1, 8, 8)
    plain = _permanent(model)
    assert torch.equal(plain(x), model(x))  # the original still computes (and is masked)
    assert set(_pruned_layers(model)) == {"conv2", "conv3", "out"}
    assert all(get_mask(m) is not None for m in _pruned_layers(model).values())
    assert float((plain.conv3.weight == 0).double().mean()) == pytest.approx(0.9, abs=1e-3)
    assert not (plain.conv1.weight == 0).any()  # the first convolution is never pruned


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("compression-tradeoffs")
    assert len(result["checks"]) == 5 and len(result["preconditions"]) == 1
    assert len(result["demonstrations"]) == 2
    for layer in result["metrics"]["layers"]:  # the module counts are the formulas
        assert layer["standard"] == layer["standard_formula"]
        assert layer["separable"] == layer["separable_formula"]
    run = result["metrics"]["runs"][0]
    assert set(run) == {"standard", "separable", "pruned-0.95", "finetuned-0.95", "ticket",
                        "reinit", "quantised-standard", "quantised-separable"}
    assert run["ticket"]["bytes"] == run["reinit"]["bytes"]  # the same mask
    assert run["pruned-0.95"]["bytes"] == run["finetuned-0.95"]["bytes"]  # the mask kept
    assert 0.9 < run["ticket"]["sparsity"] < 0.95
    assert run["standard"]["bytes"] > 3 * run["quantised-standard"]["bytes"]
    assert run["standard"]["parameters"] > 3 * run["separable"]["parameters"]
