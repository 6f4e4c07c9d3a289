"""The explainability experiment: the deletion curve by hand on a linear model, the maps'
correlation, its judge on hand-made metrics for every outcome, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.explainable_ai.explainability import (
    ExplainabilitySettings,
    _correlation,
    deletion_curve,
    judge_explainability,
)


def test_deletion_removes_the_most_attributed_pixels_first():
    w = torch.zeros(10, 64)
    w[3] = torch.arange(64.0) / 64  # class 3's logit grows with the pixel index

    def f(x):
        return x.flatten(1) @ w.T  # (B, 10)

    x, y = torch.ones(1, 1, 8, 8), torch.tensor([3])
    by_index = deletion_curve(f, x, y, torch.arange(64.0).view(1, 1, 8, 8), 32)
    reverse = deletion_curve(f, x, y, -torch.arange(64.0).view(1, 1, 8, 8), 32)
    assert len(by_index) == 1 and by_index[0] < reverse[0]  # the heavy pixels mattered
    logit = (torch.arange(32.0) / 64).sum()  # what is left after removing pixels 32..63
    assert by_index[0] == pytest.approx(torch.softmax(torch.tensor(
        [0.0] * 3 + [logit.item()] + [0.0] * 6), 0)[3].item(), rel=1e-6)


def test_correlation_of_maps():
    a = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert _correlation(a, 2 * a + 1) == pytest.approx(1.0)
    assert _correlation(a, -a) == pytest.approx(-1.0)


def _metrics(deletion_gain, steadiness_gain):
    runs = []
    for d, n in zip(deletion_gain, steadiness_gain, strict=True):
        deletion = {m: [0.5 - d, 0.4 - d] for m in ("saliency", "smoothgrad",
                                                    "integrated_gradients")}
        runs.append({"deletion": {**deletion, "random": [0.5, 0.4]},
                     "steadiness": {"saliency": 0.5, "smoothgrad": 0.5 + n,
                                    "integrated_gradients": 0.5, "random": 0.0},
                     "completeness_error": 1e-6, "probes": {k: 0.9 for k in
                                                            ("body.2", "body.5", "body.8")}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.3, 0.32, 0.31, 0.3, 0.33], [0.2, 0.21, 0.2, 0.22, 0.2]), ["held"] * 4,
     "reproduced"),
    (_metrics([-0.3, -0.32, -0.31, -0.3, -0.33], [-0.2, -0.21, -0.2, -0.22, -0.2]),
     ["contradicted"] * 4, "not reproduced"),
    (_metrics([0.3, -0.3, 0.1, -0.1, 0.0], [0.2, -0.2, 0.1, -0.1, 0.0]),
     ["within noise"] * 4, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_explainability(metrics, ExplainabilitySettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match=r"deletion_step must be in \[1, 32\]"):
        ExplainabilitySettings(deletion_step=40)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        ExplainabilitySettings(sigma=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("explainability")
    assert len(result["checks"]) == 4 and len(result["demonstrations"]) == 1
    run = result["metrics"]["runs"][0]
    assert len(run["deletion"]["random"]) == 8 and set(run["probes"]) == {"body.2", "body.5",
                                                                          "body.8"}
