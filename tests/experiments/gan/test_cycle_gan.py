"""The cycle-gan experiment: the SYNTHETIC domain Y, the judge on hand-made metrics for every
outcome and for a failed precondition, the settings' ranges, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.gan.cycle_gan import CycleGANSettings, judge_cycle_gan, to_domain_y
from mllab.gan import load_digit_images, to_pixels


def test_domain_y_is_the_negative_of_the_digits():
    x, _ = load_digit_images()
    assert torch.equal(to_pixels(to_domain_y(x[:5])), 16 - to_pixels(x[:5]))


def _metrics(reconstruction_gap, content_gap, y_accuracy=0.97, p_y=0.99):
    runs = []
    for d_rec, d_content in zip(reconstruction_gap, content_gap, strict=True):
        runs.append({"y_accuracy": y_accuracy,
                     "cycle": {"reconstruction": 0.1, "content": 0.6 + d_content, "p_y": p_y},
                     "no_cycle": {"reconstruction": 0.1 + d_rec, "content": 0.6, "p_y": p_y}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.3, 0.32, 0.29, 0.31, 0.3], [0.3, 0.28, 0.33, 0.3, 0.31]), ["held"] * 2,
     "reproduced"),
    (_metrics([-0.2, -0.21, -0.19, -0.2, -0.22], [-0.2, -0.22, -0.19, -0.2, -0.21]),
     ["contradicted"] * 2, "not reproduced"),
    (_metrics([0.0, 0.01, -0.01, 0.005, 0.0], [0.01, -0.01, 0.0, 0.02, -0.02]),
     ["within noise"] * 2, "inconclusive"),
    (_metrics([0.3, 0.32, 0.29, 0.31, 0.3], [0.01, -0.01, 0.0, 0.02, -0.02]),
     ["held", "within noise"], "inconclusive"),  # content kept without the cycle loss too
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_cycle_gan(metrics, CycleGANSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert all(p.holds for p in evidence.preconditions)
    assert evidence.verdict() == verdict


@pytest.mark.parametrize(("y_accuracy", "p_y"), [(0.5, 0.99), (0.97, 0.2)])
def test_a_failed_precondition_makes_it_inconclusive(y_accuracy, p_y):
    metrics = _metrics([0.3, 0.32, 0.29, 0.31, 0.3], [0.3, 0.28, 0.33, 0.3, 0.31],
                       y_accuracy=y_accuracy, p_y=p_y)
    evidence = judge_cycle_gan(metrics, CycleGANSettings())
    assert [c.outcome() for c in evidence.checks] == ["held"] * 2
    assert [p.holds for p in evidence.preconditions] == [y_accuracy > 0.9, p_y > 0.5]
    assert evidence.verdict() == "inconclusive"


def test_settings_ranges():
    with pytest.raises(ValueError, match=r"held_out must be in \[1, 600\]"):
        CycleGANSettings(held_out=700)
    with pytest.raises(ValueError, match="cycle_weight must be > 0"):
        CycleGANSettings(cycle_weight=0.0)
    with pytest.raises(ValueError, match="loss must be one of minimax"):
        CycleGANSettings(loss="least_squares")
    with pytest.raises(ValueError, match=r"content_margin must be in \[0, 1\)"):
        CycleGANSettings(content_margin=-0.1)
    assert CycleGANSettings().repeats == 5 and CycleGANSettings().cycle_weight == 10.0


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("cycle-gan")
    assert len(result["checks"]) == 2
    run = result["metrics"]["runs"][0]
    assert set(run["no_cycle"]) == set(run["cycle"]) == {"reconstruction", "content", "p_y"}
    assert len(run["images"]["x"]) == 8 and len(run["images"]["FG_cycle"][0]) == 8
    assert {f["file"] for f in result["figures"]} >= {"translations.png", "measures.png"}
