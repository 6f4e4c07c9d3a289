"""The generative-families experiment: its judge on hand-made metrics for every outcome, the
settings it refuses, and its quick mode end to end."""

import pytest

from mllab.experiments.image_generation.generative_families import (
    FAMILIES,
    FamiliesSettings,
    judge_families,
)


def _metrics(quality, vae_gap):
    runs = []
    for q, gap in zip(quality, vae_gap, strict=True):
        families = {f: {"quality": q} for f in FAMILIES}
        families["vae"]["quality"] = q + gap
        runs.append({"families": families})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.1, 0.12, 0.11, 0.1, 0.13], [0.2, 0.15, 0.2, 0.25, 0.2]), ["held"] * 5,
     "reproduced"),
    (_metrics([2.0, 2.2, 2.1, 2.0, 2.3], [-0.2, -0.15, -0.2, -0.25, -0.2]),
     ["contradicted"] * 5, "not reproduced"),
    (_metrics([0.5, 0.6, 0.55, 0.5, 0.45], [0.2, -0.2, 0.1, -0.1, 0.0]),
     ["within noise"] * 5, "inconclusive"),
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


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("generative-families")
    assert len(result["checks"]) == 5 and len(result["demonstrations"]) == 1
    families = result["metrics"]["runs"][0]["families"]
    assert set(families) == set(FAMILIES)
    assert families["flow"]["nll"] is not None and families["gan"]["nll"] is None
