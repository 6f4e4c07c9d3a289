"""Anomaly scores: PCA's reconstruction error against scikit-learn's PCA, the k-th neighbour's
distance against scikit-learn's NearestNeighbors, and an auto-encoder trained on normal data
that ranks anomalies above it."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from mllab.autoencoder import (
    MLPAutoencoder,
    knn_distance_score,
    pca_reconstruction_score,
    reconstruction_error,
    reconstruction_score,
)
from mllab.config import ConfigError
from mllab.metrics import roc_auc


def _digits():
    d = load_digits()
    return torch.tensor(d.data / 16.0), torch.tensor(d.target)


def test_pca_score_equals_scikit_learn_pca_reconstruction():
    x, _ = _digits()
    train, test = x[:800], x[800:1000]
    pca = PCA(7).fit(train.numpy())
    expected = ((test.numpy() - pca.inverse_transform(pca.transform(test.numpy()))) ** 2).sum(1)
    np.testing.assert_allclose(pca_reconstruction_score(train, test, 7).numpy(), expected,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k", [1, 5])
def test_knn_score_equals_scikit_learn_neighbours(k):
    x, _ = _digits()
    train, test = x[:500], x[500:600]
    distances, _ = NearestNeighbors(n_neighbors=k).fit(train.numpy()).kneighbors(test.numpy())
    np.testing.assert_allclose(knn_distance_score(train, test, k).numpy(), distances[:, -1],
                               rtol=1e-8)
    # kneighbors() without a query leaves each training point out of its own neighbours
    left_out, _ = NearestNeighbors(n_neighbors=k).fit(train.numpy()).kneighbors()
    np.testing.assert_allclose(knn_distance_score(train, train, k, exclude_self=True).numpy(),
                               left_out[:, -1], rtol=1e-6, atol=1e-6)

def test_an_autoencoder_trained_on_normal_digits_scores_others_higher():
    torch.manual_seed(0)
    x, y = _digits()
    x = x.float()
    normal = (y == 0) | (y == 1)
    train = x[normal][:200]
    held_normal, anomalies = x[normal][200:], x[~normal][:300]
    ae = MLPAutoencoder(64, 4, (32,))
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        loss = reconstruction_error(train, ae(train)).mean()
        loss.backward()
        opt.step()
    scores = reconstruction_score(ae, torch.cat([held_normal, anomalies]))
    labels = torch.cat([torch.zeros(len(held_normal)), torch.ones(len(anomalies))])
    assert ae.training  # the score put the model back in the mode it was in
    assert roc_auc(scores, labels) > 0.9
    expected = reconstruction_error(held_normal[:3], ae(held_normal[:3])).detach()
    assert torch.allclose(scores[:3], expected, rtol=1e-5)


def test_validation():
    x = torch.randn(10, 4)
    with pytest.raises(ConfigError, match="n_components"):
        pca_reconstruction_score(x, x, 5)
    with pytest.raises(ConfigError, match="k"):
        knn_distance_score(x, x, 10, exclude_self=True)
