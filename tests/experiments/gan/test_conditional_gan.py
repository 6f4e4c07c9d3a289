"""The conditional-gan experiment: its judge on hand-made metrics for every outcome (and a
judge classifier too weak to judge by), the mismatch ratio, the conditioned samples, the
settings' ranges, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.gan.conditional_gan import (
    CLASSES,
    ConditionalGANSettings,
    conditioned_samples,
    judge_conditional_gan,
    mismatch_ratio,
)


def _metrics(plain, mismatches, judge_accuracy=0.97, n=5000):
    r"""Per repeat: the plain cGAN's condition accuracy and (plain, GAN-CLS) mismatch counts."""
    runs = []
    for a, (k_plain, k_cls) in zip(plain, mismatches, strict=True):
        runs.append({"judge_accuracy": judge_accuracy,
                     "plain": {"n": n, "mismatches": k_plain, "accuracy": a},
                     "cls": {"n": n, "mismatches": k_cls, "accuracy": 1 - k_cls / n}})
    return {"runs": runs}


HELD = _metrics([0.97, 0.96, 0.98, 0.95, 0.97], [(150, 60), (200, 70), (100, 40), (250, 90),
                                                 (150, 50)])
CONTRADICTED = _metrics([0.08, 0.09, 0.07, 0.08, 0.09], [(60, 150), (70, 200), (40, 100),
                                                         (90, 250), (50, 150)])
NOISE = _metrics([0.15, 0.6, 0.05, 0.7, 0.3], [(100, 60), (100, 160), (100, 90), (100, 140),
                                               (100, 70)])


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (HELD, ["held", "held"], "reproduced"),
    (CONTRADICTED, ["contradicted", "contradicted"], "not reproduced"),
    (NOISE, ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_conditional_gan(metrics, ConditionalGANSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_a_weak_judge_classifier_makes_the_verdict_inconclusive():
    weak = {"runs": [dict(r, judge_accuracy=0.6) for r in HELD["runs"]]}
    evidence = judge_conditional_gan(weak, ConditionalGANSettings())
    assert [c.outcome() for c in evidence.checks] == ["held", "held"]
    assert evidence.verdict() == "inconclusive"
    assert "does NOT hold" in evidence.criterion()


def test_check_one_is_held_above_the_least_accuracy_and_contradicted_below_chance():
    evidence = judge_conditional_gan(HELD, ConditionalGANSettings(least_condition_accuracy=0.4))
    first = evidence.checks[0]
    assert first.threshold + first.margin == pytest.approx(0.4)
    assert first.threshold - first.margin == pytest.approx(0.1)


def test_the_mismatch_ratio_has_one_pseudo_count_on_each_side():
    run = _metrics([0.9], [(9, 4)])["runs"][0]
    assert mismatch_ratio(run) == pytest.approx(5 / 10)
    assert mismatch_ratio(_metrics([1.0], [(0, 0)])["runs"][0]) == 1.0


def test_conditioned_samples_are_class_major_and_use_the_requested_class():
    seen = []

    class Recording(torch.nn.Module):
        def forward(self, z, c):
            seen.append(c.clone())
            return z.view(len(z), 1, 8, 8) * 0 + c.view(-1, 1, 1, 1).float()

    x, c = conditioned_samples(Recording(), torch.randn(CLASSES * 3, 64), 3)
    assert c.tolist() == [k for k in range(CLASSES) for _ in range(3)]
    assert torch.equal(seen[0], c) and x.shape == (CLASSES * 3, 1, 8, 8)
    assert torch.equal(x[:, 0, 0, 0], c.float())


def test_settings_ranges():
    with pytest.raises(ValueError, match="samples_per_class must be >= 8"):
        ConditionalGANSettings(samples_per_class=4)
    with pytest.raises(ValueError, match=r"least_condition_accuracy must be in \(0.1, 1\)"):
        ConditionalGANSettings(least_condition_accuracy=0.05)
    with pytest.raises(ValueError, match="mismatch_margin must be in"):
        ConditionalGANSettings(mismatch_margin=1.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("conditional-gan")
    assert len(result["checks"]) == 2
    assert {f["file"] for f in result["figures"]} >= {"condition_accuracy.png", "samples.png"}
    runs = result["metrics"]["runs"]
    assert len(runs) == 2 and all(r["plain"]["n"] == CLASSES * 50 for r in runs)
    images = runs[0]["plain"]["images"]
    assert len(images) == CLASSES and len(images[0]) == 8 and len(images[0][0]) == 8
