"""The black-box-transfer experiment: every network takes the images, its judge on hand-made
metrics for every outcome, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.adversarial.black_box_transfer import (
    NETWORKS,
    PROXIES,
    TransferSettings,
    judge_transfer,
)


def test_every_network_maps_digits_to_ten_logits():
    x = torch.rand(3, 1, 8, 8)
    for build in NETWORKS.values():
        assert build()(x).shape == (3, 10)


def _metrics(single, ensemble_gap):
    runs = []
    for a, g in zip(single, ensemble_gap, strict=True):
        black_box = {p: a + 0.01 * i for i, p in enumerate(PROXIES)}
        black_box["ensemble"] = a - g
        runs.append({"clean": 0.97, "black_box": black_box,
                     "white_box": {p: 0.0 for p in (*PROXIES, "ensemble")}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.5, 0.52, 0.48, 0.5, 0.51], [0.2, 0.22, 0.19, 0.2, 0.21]), ["held"] * 2,
     "reproduced"),
    (_metrics([0.97, 0.98, 0.99, 0.98, 0.97], [-0.1, -0.12, -0.1, -0.11, -0.1]),
     ["contradicted"] * 2, "not reproduced"),
    (_metrics([0.9, 0.5, 0.95, 0.6, 0.8], [0.1, -0.1, 0.05, -0.05, 0.0]),
     ["within noise"] * 2, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_transfer(metrics, TransferSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="eps must be > 0"):
        TransferSettings(eps=0)
    with pytest.raises(ValueError, match=r"ensemble_margin must be in \[0, 1\)"):
        TransferSettings(ensemble_margin=1.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("black-box-transfer")
    assert len(result["checks"]) == 2
    assert set(result["metrics"]["runs"][0]["black_box"]) == {*PROXIES, "ensemble"}
