"""The feature-disentangle experiment: its SYNTHETIC styles, its training step, its judge on
hand-made metrics for every outcome (and a failed precondition), its settings and its quick
mode end to end."""

import pytest
import torch

from mllab.autoencoder import DisentanglingAutoencoder
from mllab.experiments.autoencoder.feature_disentangle import (
    STYLES,
    VARIANTS,
    DisentangleSettings,
    DisentangleState,
    apply_styles,
    disentangle_step,
    faint,
    grey_background,
    judge_disentangle,
    thick,
)


def test_the_styles_fade_lift_and_thicken_a_stroke():
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 2:5, 3] = 1.0  # a vertical stroke
    assert torch.equal(faint(x), x / 2)
    lifted = grey_background(x)
    assert lifted.min() == pytest.approx(0.4) and lifted.max() == 1.0
    right, down = torch.roll(x, 1, dims=3), torch.roll(x, 1, dims=2)
    diagonal = torch.roll(right, 1, dims=2)
    assert torch.equal(thick(x), x.maximum(right).maximum(down).maximum(diagonal))
    assert list(STYLES) == ["plain", "faint", "grey-background", "thick"]


def test_each_image_gets_its_own_style():
    x = torch.rand(8, 1, 8, 8)
    style = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    out = apply_styles(x, style)
    for n, k in enumerate(style.tolist()):
        assert torch.equal(out[n], list(STYLES.values())[k](x[n:n + 1])[0])
    assert 0 <= out.min() and out.max() <= 1


@pytest.mark.parametrize("weight", [1.0, 0.0])
def test_the_step_trains_the_adversary_only_with_its_term(weight):
    torch.manual_seed(0)
    s = DisentangleSettings(steps=10, batch_size=16)
    model = DisentanglingAutoencoder(64, s.content_size, s.factor_size, len(STYLES), (32,))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = DisentangleState(model=model, optimizer=torch.optim.Adam(model.parameters()),
                             generator=torch.Generator().manual_seed(0),
                             x=torch.rand(40, 64), y=torch.randint(4, (40,)))
    logged = disentangle_step(s, weight)(state)
    assert set(logged) == {"loss", "reconstruction", "factor", "adversary", "confusion"}
    after = model.state_dict()
    assert not torch.equal(after["content_encoder.0.weight"], before["content_encoder.0.weight"])
    assert torch.equal(after["adversary.0.weight"], before["adversary.0.weight"]) == (weight == 0)


def _metrics(style, digit, gain, classifier=0.97, rebuilt=0.9):
    runs = []
    for st, dg, g in zip(style, digit, gain, strict=True):
        base = 0.3
        runs.append({"digit_classifier": classifier, "style_classifier": 0.99, "pairs": 1000,
                     "adversary": {"style": st, "digit": dg, "both": base + g,
                                   "reconstruction": 0.9, "probe": 0.3},
                     "no-adversary": {"style": 0.5, "digit": 0.6, "both": base,
                                      "reconstruction": rebuilt, "probe": 0.9}})
    return {"runs": runs}


HIGH = [0.9, 0.92, 0.88, 0.91, 0.9]
GAIN = [0.3, 0.32, 0.28, 0.31, 0.29]


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics(HIGH, HIGH, GAIN), ["held"] * 3, "reproduced"),
    (_metrics(HIGH, HIGH, [-g for g in GAIN]), ["held", "held", "contradicted"],
     "not reproduced"),
    (_metrics([0.2, 0.22, 0.18, 0.21, 0.2], HIGH, GAIN), ["contradicted", "held", "held"],
     "not reproduced"),
    (_metrics([0.9, 0.3, 0.6, 0.2, 0.7], [0.4, 0.35, 0.3, 0.38, 0.33], [0.1, -0.1, 0.05, 0, 0]),
     ["within noise"] * 3, "inconclusive"),
    (_metrics(HIGH, HIGH, GAIN, classifier=0.8), ["held"] * 3, "inconclusive"),
    (_metrics(HIGH, HIGH, GAIN, rebuilt=0.5), ["held"] * 3, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_disentangle(metrics, DisentangleSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_far_above_chance_is_halfway_from_chance_to_one():
    style, digit, _ = judge_disentangle(_metrics(HIGH, HIGH, GAIN), DisentangleSettings()).checks
    assert style.threshold + style.margin == pytest.approx(0.625)
    assert style.threshold - style.margin == pytest.approx(0.25)
    assert digit.threshold + digit.margin == pytest.approx(0.55)
    assert digit.threshold - digit.margin == pytest.approx(0.1)


def test_settings_ranges():
    with pytest.raises(ValueError, match="adversary_weight must be > 0"):
        DisentangleSettings(adversary_weight=0.0)
    with pytest.raises(ValueError, match=r"least_share must be in \(0, 1\)"):
        DisentangleSettings(least_share=1.0)
    with pytest.raises(ValueError, match="pairs must be >= 8"):
        DisentangleSettings(pairs=4)
    assert VARIANTS == {"adversary": 1.0, "no-adversary": 0.0}


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("feature-disentangle")
    assert len(result["checks"]) == 3 and len(result["preconditions"]) == 3
    run = result["metrics"]["runs"][0]
    assert set(VARIANTS) <= set(run) and len(run["adversary"]["images"]) == 8
    assert result["settings"]["repeats"] == 2
