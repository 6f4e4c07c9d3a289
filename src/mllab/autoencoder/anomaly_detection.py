r"""Anomaly detection with an auto-encoder, and two baselines.

The auto-encoder lecture: normal data is plentiful, anomalies are rare and of unknown kinds, so
a binary classifier cannot be trained ("one-class" learning). Train an auto-encoder on normal
data only; an input it reconstructs badly is unlike what it saw, so the **reconstruction
error** :math:`s(x) = \lVert x - d(e(x)) \rVert^2` is the anomaly score (higher = more
anomalous). The scores are judged by the ROC AUC (:func:`mllab.metrics.roc_auc`): the
probability that an anomaly scores above a normal example, threshold-free.

Baselines on the same normal training data :math:`X`:

- :func:`pca_reconstruction_score`: the linear auto-encoder's optimum, the squared distance to
  the affine subspace of the :math:`k` leading principal components,
  :math:`\lVert (x - \mu) - U_k U_k^\top (x - \mu) \rVert^2`;
- :func:`knn_distance_score`: the distance to the :math:`k`-th nearest training example.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.autoencoder.autoencoder import reconstruction_error
from mllab.config import require, require_int

__all__ = ["knn_distance_score", "pca_reconstruction_score", "reconstruction_score"]


@torch.no_grad()
def reconstruction_score(model: nn.Module, x: Tensor) -> Tensor:
    r""":math:`s(x_n) = \lVert x_n - \hat x_n \rVert^2` with ``model`` in eval mode, ``(B,)``."""
    was_training = model.training
    model.eval()
    try:
        return reconstruction_error(x, model(x))
    finally:
        model.train(was_training)


def pca_reconstruction_score(train: Tensor, x: Tensor, n_components: int) -> Tensor:
    r"""The squared distance of each row of ``x`` ``(N, C)`` to the span of the ``n_components``
    leading principal directions of ``train`` ``(M, C)`` around its mean, ``(N,)``."""
    require_int("n_components", n_components, 1)
    require(n_components <= min(train.shape), "n_components",
            f"<= min(rows, columns) = {min(train.shape)}", n_components)
    mu = train.mean(0)
    _, _, Vh = torch.linalg.svd(train - mu, full_matrices=False)  # rows of Vh: directions
    U = Vh[:n_components].T  # (C, k)
    centred = x - mu
    residual = centred - centred @ U @ U.T  # (x - μ) - U Uᵀ (x - μ)
    return residual.square().sum(1)


def knn_distance_score(train: Tensor, x: Tensor, k: int = 5,
                       exclude_self: bool = False) -> Tensor:
    r"""The Euclidean distance of each row of ``x`` to its ``k``-th nearest row of ``train``,
    ``(N,)``. ``exclude_self``: ``x`` is ``train`` and each row's zero distance to itself
    is skipped."""
    require_int("k", k, 1)
    require(k + exclude_self <= len(train), "k", f"<= {len(train) - exclude_self}", k)
    d = torch.cdist(x, train)  # (N, M)
    return d.topk(k + exclude_self, dim=1, largest=False).values[:, -1]
