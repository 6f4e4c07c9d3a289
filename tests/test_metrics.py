"""accuracy: by hand for labels and for logits; distinct-n by hand; the generative measures:
the Fréchet distance against scipy.linalg.sqrtm and closed forms, FID of features, the
Inception Score by hand, nearest-neighbour distances; ROC AUC against the pairwise definition."""

import math

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm

from mllab.metrics import (
    accuracy,
    distinct_n,
    fid,
    frechet_distance,
    gaussian_fit,
    inception_score,
    nearest_neighbour_distances,
    roc_auc,
)


def test_accuracy_by_hand():
    y = torch.tensor([0, 1, 2, 1])
    assert accuracy(torch.tensor([0, 1, 1, 1]), y) == 0.75
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 3.0, 1.0], [5.0, 0.0, 0.0]])
    assert accuracy(logits, y) == 0.5
    with pytest.raises(ValueError, match="does not match"):
        accuracy(torch.zeros(3), y)


def _spd(n: int, seed: int) -> torch.Tensor:
    a = torch.randn(n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return a @ a.T + 0.1 * torch.eye(n, dtype=torch.float64)


def test_frechet_distance_against_scipy_sqrtm():
    g = torch.Generator().manual_seed(0)
    mu1, mu2 = torch.randn(5, generator=g, dtype=torch.float64), torch.randn(5, generator=g,
                                                                             dtype=torch.float64)
    s1, s2 = _spd(5, 1), _spd(5, 2)
    covmean = sqrtm(s1.numpy() @ s2.numpy()).real
    expected = float(((mu1 - mu2) ** 2).sum()) + float(np.trace(s1.numpy() + s2.numpy()
                                                                - 2 * covmean))
    assert math.isclose(frechet_distance(mu1, s1, mu2, s2), expected, rel_tol=1e-9)


def test_frechet_distance_closed_forms():
    zero, one = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    # diagonal covariances: |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2
    a, b = torch.tensor([4.0, 1.0], dtype=torch.float64), torch.tensor([1.0, 9.0],
                                                                       dtype=torch.float64)
    assert math.isclose(frechet_distance(zero, torch.diag(a), one, torch.diag(b)),
                        2 + 1 + 4, rel_tol=1e-12)
    s = _spd(3, 3)
    assert frechet_distance(torch.zeros(3), s, torch.zeros(3), s) < 1e-9
    assert frechet_distance(zero, torch.zeros(2, 2), zero, torch.zeros(2, 2)) == 0.0


def test_gaussian_fit_and_fid_of_features():
    f = torch.randn(200, 4, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    mu, sigma = gaussian_fit(f)
    assert torch.allclose(mu, f.mean(0)) and torch.allclose(sigma, torch.cov(f.T))
    assert fid(f, f) < 1e-9
    assert math.isclose(fid(f, f + 2.0), 4 * 4.0, rel_tol=1e-9)  # a shift by 2 in 4 dimensions
    with pytest.raises(ValueError, match="N >= 2"):
        gaussian_fit(f[:1])


def test_inception_score_by_hand():
    K = 4
    certain_and_spread = torch.eye(K).repeat(3, 1)  # each sample sure, classes uniform
    assert math.isclose(inception_score(certain_and_spread)[0], K, rel_tol=1e-12)
    collapsed = torch.eye(K)[[2] * 12]  # sure, but always the same class
    assert math.isclose(inception_score(collapsed)[0], 1.0, rel_tol=1e-12)
    unsure = torch.full((12, K), 1 / K)  # spread, but no sample sure
    assert math.isclose(inception_score(unsure)[0], 1.0, rel_tol=1e-12)
    # two samples, p(y|x) = (0.75, 0.25) and (0.25, 0.75): p(y) uniform,
    # KL = 0.75 log 1.5 + 0.25 log 0.5 for each
    p = torch.tensor([[0.75, 0.25], [0.25, 0.75]])
    expected = math.exp(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    assert math.isclose(inception_score(p)[0], expected, rel_tol=1e-12)


def test_inception_score_splits():
    p = torch.cat([torch.eye(2).repeat(2, 1), torch.eye(2)[[0] * 4]])  # (8, 2)
    mean, std = inception_score(p, splits=2)  # halves score 2 and 1
    assert (mean, std) == (1.5, 0.5)
    with pytest.raises(ValueError, match="splits in"):
        inception_score(p, splits=9)


def test_nearest_neighbour_distances_by_hand():
    reference = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    samples = torch.tensor([[0.0, 1.0], [3.0, 4.0], [6.0, 8.0]])
    assert nearest_neighbour_distances(samples, reference).tolist() == [1.0, 0.0, 5.0]


def test_distinct_n_by_hand():
    seqs = [[5, 6, 5, 6, 5], [5, 6, 7]]
    # unigrams: 8 in all, distinct {5, 6, 7}
    assert distinct_n(seqs, 1) == 3 / 8
    # bigrams: (5,6) (6,5) (5,6) (6,5) | (5,6) (6,7): 6 in all, distinct 3
    assert distinct_n(seqs, 2) == 3 / 6
    # trigrams: (5,6,5) (6,5,6) (5,6,5) | (5,6,7): 4 in all, distinct 3
    assert distinct_n(seqs, 3) == 3 / 4
    assert distinct_n([[1, 2, 3, 4]], 2) == 1.0  # nothing repeats
    assert distinct_n([[9] * 11], 2) == 1 / 10  # a loop
    assert distinct_n([[1], []], 2) == 0.0  # no bigram anywhere


def test_distinct_n_never_joins_two_sequences():
    assert distinct_n([[1, 2], [3, 4]], 2) == 1.0  # (2, 3) is no bigram
    assert distinct_n([torch.tensor([1, 2]), (1, 2)], 2) == 0.5
    with pytest.raises(ValueError, match="n must be"):
        distinct_n([[1, 2]], 0)


def _auc_by_pairs(scores: torch.Tensor, labels: torch.Tensor) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).double() + 0.5 * (pos[:, None] == neg[None, :]).double()
    return wins.mean().item()  # P(s+ > s-) + P(s+ = s-)/2


def test_roc_auc_is_the_probability_a_positive_outscores_a_negative():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 6, (200,), generator=g).double()  # many ties
    labels = (torch.rand(200, generator=g) < 0.3 + 0.1 * scores).long()
    assert roc_auc(scores, labels) == pytest.approx(_auc_by_pairs(scores, labels), abs=1e-12)
    assert roc_auc(torch.tensor([0.1, 0.2, 0.9]), torch.tensor([0, 0, 1])) == 1.0
    assert roc_auc(torch.tensor([0.9, 0.2, 0.1]), torch.tensor([0, 0, 1])) == 0.0
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc(torch.rand(4), torch.ones(4))
    with pytest.raises(ValueError, match="must both be"):
        roc_auc(torch.rand(4), torch.ones(3))


class _Features(torch.nn.Module):
    r"""A fixed feature extractor for both sides of the FID parity: an untrained
    :class:`~mllab.gan.DigitsClassifier`'s penultimate layer, float64 (no Inception weights)."""

    num_features = 64

    def __init__(self) -> None:
        super().__init__()
        from mllab.gan import DigitsClassifier

        torch.manual_seed(0)
        self.net = DigitsClassifier(features=self.num_features).double().eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.net.features(x)  # (B, 64)


@pytest.mark.parametrize("shift", [0.0, 0.3, 1.0])
def test_fid_matches_torchmetrics_with_the_same_custom_features(shift):
    tm_fid = pytest.importorskip("torchmetrics.image.fid")
    g = torch.Generator().manual_seed(1)
    real = torch.rand(300, 1, 8, 8, generator=g, dtype=torch.float64)
    fake = (torch.rand(200, 1, 8, 8, generator=g, dtype=torch.float64) + shift).clamp(0, 1)
    features = _Features()
    metric = tm_fid.FrechetInceptionDistance(feature=features)
    for part in real.split(128):  # torchmetrics accumulates sums batch by batch
        metric.update(part, real=True)
    metric.update(fake, real=False)
    expected = float(metric.compute())
    ours = fid(features(real), features(fake))
    assert expected > 0 and ours == pytest.approx(expected, rel=1e-6)
