"""The diffusion-steps experiment: its diversity measure, its judge on hand-made metrics for
every outcome, the settings it refuses, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.image_generation.diffusion_steps import (
    NOISELESS,
    StepsSettings,
    diversity,
    judge_steps,
)


def test_diversity_is_one_for_the_data_and_scales_with_the_spread():
    g = torch.Generator().manual_seed(0)
    y = torch.randn(500, 2, generator=g)
    assert diversity(y, y) == pytest.approx(1.0)
    assert diversity(0.5 * y, y) == pytest.approx(0.5)
    assert diversity(torch.zeros(10, 2), y) == 0.0  # all samples in one point


def _metrics(step_gap, noise_gap, diversity_gap):
    runs = []
    for a, b, c in zip(step_gap, noise_gap, diversity_gap, strict=True):
        samplers = {"10": {"quality": 0.1 + a, "diversity": 1.0},
                    "1000": {"quality": 0.1, "diversity": 1.0},
                    NOISELESS: {"quality": 0.1 + b, "diversity": 1.0 - c}}
        runs.append({"samplers": samplers})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcome", "verdict"), [
    (_metrics([0.2, 0.3, 0.25, 0.2, 0.3], [1, 2, 1.5, 1, 2], [0.5, 0.6, 0.5, 0.7, 0.6]),
     "held", "reproduced"),
    (_metrics([-0.2, -0.3, -0.25, -0.2, -0.3], [-1, -2, -1.5, -1, -2],
              [-0.5, -0.6, -0.5, -0.7, -0.6]), "contradicted", "not reproduced"),
    (_metrics([0.2, -0.2, 0.1, -0.1, 0.0], [1, -1, 0.5, -0.5, 0], [0.5, -0.5, 0.2, -0.2, 0]),
     "within noise", "inconclusive"),
])
def test_judge(metrics, outcome, verdict):
    evidence = judge_steps(metrics, StepsSettings(sampling_steps=(10, 1000)))
    assert [c.outcome() for c in evidence.checks] == [outcome] * 3
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="sampling_steps must be two or more increasing "
                                         "divisors of T = 1000, the last T"):
        StepsSettings(sampling_steps=(10, 300, 1000))
    with pytest.raises(ValueError, match=r"diversity_margin must be in \[0, 1\)"):
        StepsSettings(diversity_margin=1)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("diffusion-steps")
    assert len(result["checks"]) == 3
    samplers = result["metrics"]["runs"][0]["samplers"]
    assert set(samplers) == {"10", "50", "200", "1000", NOISELESS}
    assert samplers[NOISELESS]["diversity"] < samplers["1000"]["diversity"]
