"""The denoising-autoencoder experiment: its judge on hand-made metrics for every outcome, its
training step (same batches for both models, the plain one masking nothing), its probe, its
settings, and its quick mode end to end."""

import pytest
import torch
import torch.nn.functional as F

from mllab.autoencoder import MLPAutoencoder
from mllab.experiments.autoencoder.denoising_autoencoder import (
    AEState,
    DenoisingSettings,
    denoising_step,
    judge_denoising,
    probe_accuracy,
)


def _metrics(plain_err, dae_err, plain_acc, dae_acc):
    return {"runs": [{"corrupted_error": {"plain": pe, "denoising": de},
                      "clean_error": {"plain": 1.0, "denoising": 1.2},
                      "probe_accuracy": {"plain": pa, "denoising": da, "pixels": 0.95}}
                     for pe, de, pa, da in zip(plain_err, dae_err, plain_acc, dae_acc,
                                               strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([3.0, 3.1, 2.9, 3.0, 3.2], [2.0, 2.1, 1.9, 2.0, 2.2],
              [0.88, 0.87, 0.89, 0.88, 0.86], [0.92, 0.91, 0.93, 0.92, 0.91]),
     ["held", "held"], "reproduced"),
    (_metrics([2.0, 2.1, 1.9, 2.0, 2.2], [3.0, 3.1, 2.9, 3.0, 3.2],
              [0.92, 0.91, 0.93, 0.92, 0.91], [0.88, 0.87, 0.89, 0.88, 0.86]),
     ["contradicted", "contradicted"], "not reproduced"),
    (_metrics([3.0, 3.0, 3.0, 3.0, 3.0], [2.5, 3.2, 2.6, 3.1, 2.9],
              [0.90, 0.90, 0.90, 0.90, 0.90], [0.92, 0.89, 0.91, 0.90, 0.90]),
     ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_denoising(metrics, DenoisingSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_clean_errors_and_the_pixel_probe_are_reported_and_never_decide():
    metrics = _metrics([3.0, 3.1, 2.9, 3.0, 3.2], [2.0, 2.1, 1.9, 2.0, 2.2],
                       [0.88, 0.87, 0.89, 0.88, 0.86], [0.92, 0.91, 0.93, 0.92, 0.91])
    evidence = judge_denoising(metrics, DenoisingSettings())
    assert evidence.verdict() == "reproduced"
    assert "plain AE 1.000, de-noising AE 1.200" in evidence.notes[0]
    assert "raw pixels 0.950" in evidence.notes[1]


def _state(seed=0):
    torch.manual_seed(0)
    model = MLPAutoencoder(64, 4, (16,))
    return AEState(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                   batches=torch.Generator().manual_seed(seed),
                   noise=torch.Generator().manual_seed(1), x=torch.rand(50, 64))


def test_both_models_see_the_same_batches_and_the_plain_one_masks_nothing():
    plain, dae = _state(), _state()
    x0 = plain.x.clone()
    idx = torch.randint(50, (8,), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = F.mse_loss(plain.model(x0[idx]), x0[idx]).item()
    logged = denoising_step("masking", 0.0, 8)(plain)
    assert logged["loss"] == pytest.approx(expected, rel=1e-6)  # level 0: the plain AE's MSE
    denoising_step("masking", 0.5, 8)(dae)
    assert torch.equal(plain.batches.get_state(), dae.batches.get_state())
    assert not torch.equal(plain.model.encoder[0].weight, dae.model.encoder[0].weight)


def test_the_probe_reads_a_feature_that_holds_the_class_and_not_one_that_does_not():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 10
    informative = F.one_hot(y, 10).double() * 3 + 0.1 * torch.randn(200, 10, generator=g,
                                                                     dtype=torch.float64)
    noise = torch.randn(200, 10, generator=g, dtype=torch.float64)
    s = DenoisingSettings(probe_epochs=300)
    assert probe_accuracy(s, informative[:100], y[:100], informative[100:], y[100:]) == 1.0
    assert probe_accuracy(s, noise[:100], y[:100], noise[100:], y[100:]) < 0.3


def test_settings_ranges():
    with pytest.raises(ValueError, match="level must be > 0"):
        DenoisingSettings(level=1.0)
    with pytest.raises(ValueError, match="corruption must be one of"):
        DenoisingSettings(corruption="salt")
    with pytest.raises(ValueError, match="accuracy_margin must be in"):
        DenoisingSettings(accuracy_margin=1.0)
    assert DenoisingSettings(corruption="gaussian", level=1.5).level == 1.5


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("denoising-autoencoder")
    assert len(result["checks"]) == 2
    assert {"examples.png", "paired.png"} <= {f["file"] for f in result["figures"]}
    runs = result["metrics"]["runs"]
    assert len(runs) == 2 and all(0.2 < r["masked_share"] < 0.3 for r in runs)
