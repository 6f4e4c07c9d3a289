"""The js-divergence experiment: its closed forms, its judge on hand-made metrics for every
outcome (and an untrained discriminator), and its quick mode end to end."""

import math

import pytest
import torch

from mllab.experiments.gan.js_divergence import JSSettings, Shift, closed_forms, judge_js

LOG_2 = math.log(2)


def _metrics(js_far_minus_near, w_far, vanilla_left, js_level=LOG_2, wgan_left=0.1):
    runs = []
    for d, w, v in zip(js_far_minus_near, w_far, vanilla_left, strict=True):
        runs.append({"js": [{"js_hat": js_level - 0.01}, {"js_hat": js_level - 0.01},
                            {"js_hat": js_level - 0.01 + d}],
                     "w": [{"w_hat": 1.5}, {"w_hat": 3.0}, {"w_hat": w}],
                     "vanilla": {"distance": v}, "wgan": {"distance": wgan_left}})
    forms = [{"theta": 1.0, "js": LOG_2, "js_samples": 0.69, "w1": 1.0, "w1_samples": 1.0}]
    return {"runs": runs, "closed_forms": forms}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.001, 0.0, 0.002, 0.001, 0.0], [6.0, 5.8, 6.1, 5.9, 6.0],
              [3.99, 3.98, 3.99, 4.0, 3.97]), ["held"] * 3, "reproduced"),
    (_metrics([0.3, 0.35, 0.32, 0.31, 0.3], [0.2, 0.1, 0.0, 0.3, 0.2],
              [0.1, 0.0, 0.2, 0.1, 0.1], js_level=LOG_2 - 0.05, wgan_left=3.9),
     ["contradicted", "contradicted", "contradicted"], "not reproduced"),
    (_metrics([0.001, 0.2, 0.0, 0.15, 0.01], [6.0, 0.5, 4.0, 1.0, 2.0],
              [3.0, 0.1, 2.0, 0.0, 1.5]), ["within noise"] * 3, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_js(metrics, JSSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert len(evidence.demonstrations) == 2  # the closed forms never decide


def test_an_untrained_discriminator_makes_the_verdict_inconclusive():
    metrics = _metrics([0.0] * 5, [6.0] * 5, [4.0] * 5, js_level=0.3)  # flat, but not at log 2
    evidence = judge_js(metrics, JSSettings())
    assert [c.outcome() for c in evidence.checks] == ["held"] * 3
    assert not evidence.preconditions[0].holds and evidence.verdict() == "inconclusive"


def test_closed_forms_and_their_sample_estimates():
    rows = closed_forms(JSSettings(eval_size=4000), torch.Generator().manual_seed(0))
    by_theta = {r["theta"]: r for r in rows}
    assert by_theta[1.5]["js"] == by_theta[2.0]["js"] == LOG_2
    assert by_theta[1.5]["js_samples"] == pytest.approx(LOG_2, abs=1e-12)  # disjoint samples
    assert by_theta[0.5]["js"] == pytest.approx(0.5 * LOG_2)
    for r in rows:
        assert abs(r["w1_samples"] - r["theta"]) < 0.05


def test_the_generator_is_a_translation_by_b():
    G = Shift(3.0, 0.1)
    z = torch.randn(5, 2)
    assert torch.allclose(G(z), 0.1 * z + torch.tensor([3.0, 0.0]))


def test_settings_ranges():
    with pytest.raises(ValueError, match="shifts must be two or more increasing numbers"):
        JSSettings(shifts=(0.5, 3.0))
    with pytest.raises(ValueError, match="start must be >= 10 sigma"):
        JSSettings(start=0.5)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("js-divergence")
    assert len(result["checks"]) == 3 and len(result["demonstrations"]) == 2
