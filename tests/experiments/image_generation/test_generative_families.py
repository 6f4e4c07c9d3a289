"""The generative-families experiment: its judge on hand-made metrics for every outcome, the
settings it refuses, the dequantisation, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.image_generation.generative_families import (
    FAMILIES,
    KINDS,
    FamiliesSettings,
    dequantize,
    judge_families,
)
from mllab.gan import load_digit_images


def _metrics(quality, vae_gap, accuracy=0.95):
    runs = []
    for q, gap in zip(quality, vae_gap, strict=True):
        families = {f: {"quality": q} for f in FAMILIES}
        families["vae"]["quality"] = q + gap
        runs.append({kind: {"families": {f: dict(v) for f, v in families.items()}}
                     for kind in KINDS})
        runs[-1]["digits"]["accuracy"] = accuracy
    return {"runs": runs}


GOOD = ([0.1, 0.12, 0.11, 0.1, 0.13], [0.2, 0.15, 0.2, 0.25, 0.2])


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics(*GOOD), ["held"] * 10, "reproduced"),
    (_metrics([2.0, 2.2, 2.1, 2.0, 2.3], [-0.2, -0.15, -0.2, -0.25, -0.2]),
     ["contradicted"] * 10, "not reproduced"),
    (_metrics([0.5, 0.6, 0.55, 0.5, 0.45], [0.2, -0.2, 0.1, -0.1, 0.0]),
     ["within noise"] * 10, "inconclusive"),
    (_metrics(*GOOD, accuracy=0.5), ["held"] * 10, "inconclusive"),  # the judge cannot judge
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_families(metrics, FamiliesSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="gan_steps must be >= 1"):
        FamiliesSettings(gan_steps=0)
    with pytest.raises(ValueError, match=r"blur_margin must be in \[0, 1\)"):
        FamiliesSettings(blur_margin=-0.1)
    with pytest.raises(ValueError, match=r"digit_samples must be in \[2, 898\]"):
        FamiliesSettings(digit_samples=899)


def test_dequantize_spreads_each_pixel_over_its_level_only():
    x, _ = load_digit_images(torch.float64)
    d = dequantize(x, torch.Generator().manual_seed(0))
    assert (d - x).abs().max() <= 1 / 16
    assert torch.equal(torch.round((d + 1) * 8), torch.round((x + 1) * 8))  # the same levels
    assert (d - x).std() == pytest.approx((1 / 8) / 12 ** 0.5, rel=0.01)  # U(-1/16, 1/16)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("generative-families")
    assert len(result["checks"]) == 10 and len(result["demonstrations"]) == 1
    assert len(result["preconditions"]) == 1
    run = result["metrics"]["runs"][0]
    for kind in KINDS:
        assert set(run[kind]["families"]) == set(FAMILIES)
        assert run[kind]["families"]["flow"]["nll"] is not None
        assert run[kind]["families"]["gan"]["nll"] is None
    assert 0 < run["digits"]["real_fid"] < run["digits"]["baseline_fid"]
    assert {f["file"] for f in result["figures"]} >= {"families.png", "digits.png"}
