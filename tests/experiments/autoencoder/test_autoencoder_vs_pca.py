"""The autoencoder-vs-pca experiment: its judge on hand-made metrics for every outcome, its
data and its settings, and its quick mode end to end."""

import pytest
import torch

from mllab.autoencoder import MLPAutoencoder
from mllab.experiments.autoencoder.autoencoder_vs_pca import (
    AEvsPCASettings,
    digits_images,
    held_out_error,
    judge_ae_vs_pca,
)

SETTINGS = AEvsPCASettings(code_sizes=(2, 4, 8), small_codes=(2, 4))


def _metrics(gains_k2, gains_k4, linear_ratio=1.02):
    runs = []
    for g2, g4 in zip(gains_k2, gains_k4, strict=True):
        runs.append({"by_code": [
            {"k": 2, "pca": 10.0, "linear": 10.0 * linear_ratio, "nonlinear": 10.0 * (1 - g2)},
            {"k": 4, "pca": 8.0, "linear": 8.0 * linear_ratio, "nonlinear": 8.0 * (1 - g4)},
            {"k": 8, "pca": 5.0, "linear": 5.0 * linear_ratio, "nonlinear": 5.0}]})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.30, 0.28, 0.33, 0.31, 0.29], [0.20, 0.22, 0.19, 0.21, 0.20]),
     ["held", "held"], "reproduced"),
    (_metrics([-0.10, -0.12, -0.09, -0.11, -0.10], [0.20, 0.22, 0.19, 0.21, 0.20]),
     ["contradicted", "held"], "not reproduced"),
    (_metrics([0.30, -0.20, 0.10, -0.05, 0.20], [0.04, 0.05, 0.06, 0.05, 0.04]),
     ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_ae_vs_pca(metrics, SETTINGS)
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_the_linear_autoencoder_demonstration_never_decides():
    evidence = judge_ae_vs_pca(_metrics([0.3] * 5, [0.2] * 5, linear_ratio=3.0), SETTINGS)
    assert evidence.verdict() == "reproduced" and len(evidence.demonstrations) == 1
    assert "2: 3.000" in evidence.demonstrations[0].shown


def test_images_lie_in_the_unit_interval_and_the_error_is_per_image():
    x_train, y_train, x_test, _ = digits_images(0)
    assert x_train.shape[1] == 64 and 0 <= x_train.min() and x_train.max() == 1.0
    assert len(x_train) == len(y_train) > len(x_test) > 0
    model = MLPAutoencoder(64, 2)
    with torch.no_grad():
        expected = (model(x_test) - x_test).square().sum(1).mean().item()
    assert held_out_error(model, x_test) == pytest.approx(expected, rel=1e-6)


def test_settings_ranges():
    with pytest.raises(ValueError, match="small_codes must be a non-empty subset"):
        AEvsPCASettings(code_sizes=(2, 8), small_codes=(4,))
    with pytest.raises(ValueError, match="code_sizes must be increasing"):
        AEvsPCASettings(code_sizes=(8, 2))


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("autoencoder-vs-pca")
    assert len(result["checks"]) == 1 and len(result["demonstrations"]) == 1
