"""The discrete-latent experiment: its judge on hand-made metrics for every outcome, its
k-means (against scikit-learn's) and purity, its settings, and its quick mode end to end."""

import pytest
import torch

from mllab.autoencoder import nearest_code
from mllab.experiments.autoencoder.discrete_latent import (
    DiscreteSettings,
    judge_discrete,
    kmeans,
    purity,
)


def _metrics(vq_purity, chance, vq_err, ae_err):
    runs = []
    for p, c, v, a in zip(vq_purity, chance, vq_err, ae_err, strict=True):
        runs.append({"error": {"vq_vae": v, "ae_kmeans": a, "pixel_kmeans": 2.3, "ae": 1.4},
                     "purity": {"vq_vae": p, "ae_kmeans": 0.8, "pixel_kmeans": 0.9},
                     "chance_purity": {"vq_vae": c, "ae_kmeans": 0.21, "pixel_kmeans": 0.2},
                     "usage": {"vq_vae": 0.9375, "ae_kmeans": 1.0, "pixel_kmeans": 1.0},
                     "perplexity": {"vq_vae": 13.0, "ae_kmeans": 15.0, "pixel_kmeans": 14.5}})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.80, 0.82, 0.79, 0.81, 0.80], [0.2] * 5, [2.4, 2.5, 2.3, 2.4, 2.5],
              [2.5, 2.5, 2.5, 2.5, 2.5]), ["held", "held"], "reproduced"),
    (_metrics([0.21, 0.22, 0.20, 0.21, 0.22], [0.2] * 5, [3.4, 3.5, 3.3, 3.4, 3.5],
              [2.5, 2.5, 2.5, 2.5, 2.5]), ["within noise", "contradicted"], "not reproduced"),
    (_metrics([0.50, 0.60, 0.45, 0.70, 0.55], [0.2] * 5, [2.5, 3.0, 2.6, 2.9, 2.8],
              [2.5, 2.5, 2.5, 2.5, 2.5]), ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    # purity at chance is "within noise": contradicting it would take purity below chance
    evidence = judge_discrete(metrics, DiscreteSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_usage_and_the_baselines_are_reported_and_never_decide():
    metrics = _metrics([0.8] * 5, [0.2] * 5, [2.4, 2.5, 2.3, 2.4, 2.5], [2.5] * 5)
    evidence = judge_discrete(metrics, DiscreteSettings())
    assert evidence.verdict() == "reproduced"
    assert "usage 0.938 of 16 entries, perplexity 13.00" in evidence.notes[0]
    assert "k-means on pixels 0.900 (chance 0.200)" in evidence.notes[1]


def test_purity_by_hand():
    cells = torch.tensor([0, 0, 0, 1, 1, 2])
    y = torch.tensor([3, 3, 5, 7, 7, 1])
    assert purity(cells, y, num_cells=4) == pytest.approx(5 / 6)  # 2 + 2 + 1 of 6
    assert purity(torch.zeros(6, dtype=torch.long), y, num_cells=4) == pytest.approx(2 / 6)


def test_kmeans_finds_separated_blobs_and_matches_scikit_learn():
    from sklearn.cluster import KMeans

    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    x = (centres.repeat_interleave(50, 0) + 0.3 * torch.randn(200, 2, generator=g))
    mu = kmeans(x, 4, restarts=3, generator=torch.Generator().manual_seed(1))
    assert torch.cdist(centres, mu).min(1).values.max() < 0.2
    digits = torch.rand(300, 6, generator=g)
    mu = kmeans(digits, 8, restarts=5, generator=torch.Generator().manual_seed(2))
    sse = (digits - mu[nearest_code(digits, mu)]).square().sum().item()
    reference = KMeans(8, n_init=5, random_state=0).fit(digits.numpy()).inertia_
    assert sse <= reference * 1.02


def test_settings_ranges():
    with pytest.raises(ValueError, match="rec_margin must be in"):
        DiscreteSettings(rec_margin=0.2)
    with pytest.raises(ValueError, match="num_codes must be in 2..256"):
        DiscreteSettings(num_codes=1)
    with pytest.raises(ValueError, match="purity_margin must be in"):
        DiscreteSettings(purity_margin=1.0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("discrete-latent")
    assert len(result["checks"]) == 2
    assert {"codebook.png", "purity_error.png"} <= {f["file"] for f in result["figures"]}
    run = result["metrics"]["runs"][0]
    assert 0 < run["usage"]["vq_vae"] <= 1 and 1 <= run["perplexity"]["vq_vae"] <= 16
