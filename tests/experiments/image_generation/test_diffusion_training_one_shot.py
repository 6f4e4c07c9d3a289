"""The diffusion-training-one-shot experiment: its judge on hand-made metrics for every
outcome, its sequential chain against the closed form, its energy distance, and its quick mode
end to end."""

import pytest
import torch

from mllab.experiments.image_generation.diffusion_training_one_shot import (
    OneShotSettings,
    energy_distance,
    judge_one_shot,
    schedule_of,
    sequential_noising,
)

DEMO = {"rows": [{"t": 1, "alpha_bar": 0.9999, "mean_sequential": 0.0, "mean_one_shot": 0.0,
                  "mean_closed_form": 0.0, "std_sequential": 0.7, "std_one_shot": 0.7,
                  "std_closed_form": 0.7, "residual_std": 1.0, "w1": 0.002, "w1_null": 0.002}]}


def _metrics(drops, ratios):
    return {"demo": DEMO, "runs": [{"loss_init": 1.0, "loss_trained": 1.0 - d,
                                    "d_samples": q, "d_noise": 1.0}
                                   for d, q in zip(drops, ratios, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.78, 0.80, 0.79, 0.77, 0.78], [0.05, 0.04, 0.06, 0.05, 0.03]),
     ["held", "held"], "reproduced"),
    (_metrics([-0.5, -0.4, -0.6, -0.5, -0.45], [2.0, 2.1, 1.9, 2.2, 2.0]),
     ["contradicted", "contradicted"], "not reproduced"),
    (_metrics([0.1, 0.6, 0.3, 0.0, 0.5], [0.3, 0.9, 0.5, 0.2, 0.7]),
     ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_one_shot(metrics, OneShotSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert len(evidence.demonstrations) == 3  # the one-shot identity never decides


def test_the_sequential_chain_in_two_pieces_reaches_the_closed_form():
    s = OneShotSettings(T=100, demo_steps=(1, 10, 100))
    schedule = schedule_of(s, torch.float64)
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((40000, 2), 0.5, dtype=torch.float64)
    x = sequential_noising(schedule, sequential_noising(schedule, x0, 0, 30, g), 30, 100, g)
    ab = schedule.alpha_bar[99]
    assert x.mean().item() == pytest.approx((ab.sqrt() * 0.5).item(), abs=0.01)
    assert x.std().item() == pytest.approx((1 - ab).sqrt().item(), rel=0.01)


def test_the_energy_distance_is_zero_for_one_sample_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(500, 2, generator=g), torch.randn(500, 2, generator=g)
    assert energy_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert 0 <= energy_distance(x, y) < energy_distance(x, y + 1) < energy_distance(x, y + 3)


def test_settings_ranges():
    with pytest.raises(ValueError, match="demo_steps must be increasing integers in 1..T"):
        OneShotSettings(T=100, demo_steps=(1, 1000))
    with pytest.raises(ValueError, match="distance_margin must be in"):
        OneShotSettings(distance_margin=1.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("diffusion-training-one-shot")
    assert len(result["checks"]) == 2 and len(result["demonstrations"]) == 3
