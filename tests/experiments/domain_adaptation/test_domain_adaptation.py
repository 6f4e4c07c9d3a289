"""The domain-adaptation experiment: the SYNTHETIC background, its judge on hand-made metrics
for every outcome (and a target that is not shifted), and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.domain_adaptation.domain_adaptation import (
    DomainAdaptationSettings,
    judge_domain_adaptation,
    noisy_background,
)


def test_the_background_keeps_the_strokes_and_fills_the_rest():
    x = torch.zeros(50, 1, 8, 8)
    x[:, :, 2:6, 3] = 1.0  # a stroke
    t = noisy_background(x, 0.6, torch.Generator().manual_seed(0))
    assert torch.equal(t[:, :, 2:6, 3], x[:, :, 2:6, 3])
    background = t[x == 0]
    assert background.min() >= 0 and background.max() <= 0.6
    assert abs(background.mean().item() - 0.3) < 0.02


def _metrics(dann_gain, entropy_gain, shift=0.3):
    runs = []
    for d, e in zip(dann_gain, entropy_gain, strict=True):
        runs.append({"source-only": {"source": 0.95, "target": 0.95 - shift},
                     "dann": {"source": 0.95, "target": 0.95 - shift + d},
                     "dann-entropy": {"source": 0.95, "target": 0.95 - shift + d + e}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.1, 0.12, 0.11, 0.1, 0.13], [0.05, 0.04, 0.05, 0.06, 0.05]), ["held"] * 2,
     "reproduced"),
    (_metrics([-0.1, -0.12, -0.11, -0.1, -0.13], [-0.05, -0.04, -0.05, -0.06, -0.05]),
     ["contradicted"] * 2, "not reproduced"),
    (_metrics([0.1, -0.1, 0.05, -0.05, 0.0], [0.05, -0.05, 0.02, -0.02, 0.0]),
     ["within noise"] * 2, "inconclusive"),
    (_metrics([0.1, 0.12, 0.11, 0.1, 0.13], [0.05, 0.04, 0.05, 0.06, 0.05], shift=0.02),
     ["held"] * 2, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_domain_adaptation(metrics, DomainAdaptationSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match=r"background must be in \(0, 1\]"):
        DomainAdaptationSettings(background=0)
    with pytest.raises(ValueError, match="entropy_weight must be > 0"):
        DomainAdaptationSettings(entropy_weight=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("domain-adaptation")
    assert len(result["checks"]) == 2 and len(result["preconditions"]) == 1
    run = result["metrics"]["runs"][0]["dann"]
    assert len(run["projection"]) == run["n_source"] + 224  # a quarter of the target half
