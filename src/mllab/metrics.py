r"""Measures the experiments share: accuracy, the mean and spread of repeats, Spearman's rank
correlation with a permutation test, the ROC AUC of anomaly scores."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def accuracy(prediction: Tensor, y: Tensor) -> float:
    r""":math:`\frac1N \sum_n [\hat c_n = y_n]`, where :math:`\hat c_n` is ``prediction[n]``
    for class labels (N,) or :math:`\arg\max_k` of its row for scores or logits (N, K)."""
    predicted = prediction.argmax(1) if prediction.ndim == 2 else prediction
    if predicted.shape != y.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} does not match labels "
                         f"{tuple(y.shape)}")
    return (predicted == y).double().mean().item()


def mean_and_spread(values: list[float]) -> tuple[float, float]:
    r"""Mean and sample standard deviation (0 for one value)."""
    v = torch.tensor(values, dtype=torch.float64)
    return float(v.mean()), float(v.std()) if len(values) > 1 else 0.0


def average_ranks(v: Tensor) -> Tensor:
    r"""Ranks 1..n of the entries of ``v`` (``(n,)``); tied entries share their mean rank."""
    order = torch.argsort(v, stable=True)
    ranks = torch.empty(len(v), dtype=torch.float64)
    ranks[order] = torch.arange(1, len(v) + 1, dtype=torch.float64)
    _, group, counts = torch.unique(v, return_inverse=True, return_counts=True)
    sums = torch.zeros(len(counts), dtype=torch.float64).index_add_(0, group, ranks)
    return (sums / counts)[group]  # (n,)



def spearman(a: Tensor, b: Tensor, *, permutations: int, generator: torch.Generator
             ) -> tuple[float, float]:
    r"""Spearman's rank correlation of ``a`` and ``b`` and its two-sided permutation p-value.

    .. math:: \rho = \frac{\sum_i (r_i - \bar r)(s_i - \bar s)}
        {\sqrt{\sum_i (r_i - \bar r)^2 \sum_i (s_i - \bar s)^2}}

    with :math:`r, s` the average ranks of ``a`` and ``b``. The p-value is the share of
    random relabellings (``permutations`` of them, and the observed one) whose
    :math:`|\rho|` reaches the observed :math:`|\rho|`. ``nan`` if either is constant.
    """
    r = average_ranks(a.double())
    s = average_ranks(b.double())
    r, s = r - r.mean(), s - s.mean()
    scale = float(r.norm() * s.norm())
    if scale == 0.0:
        return math.nan, math.nan
    rho = float(r @ s) / scale
    perms = torch.argsort(torch.rand(permutations, len(s), generator=generator), dim=1)
    null = (s[perms] @ r) / scale  # (permutations,)
    hits = int((null.abs() >= abs(rho) - 1e-12).sum())
    return rho, (hits + 1) / (permutations + 1)


def roc_auc(scores: Tensor, is_positive: Tensor) -> float:
    r"""The area under the ROC curve of ``scores`` ``(N,)`` (higher = more likely positive)
    for the labels ``is_positive`` ``(N,)`` (bool or 0/1), by scikit-learn's
    ``roc_auc_score``:

    .. math:: \mathrm{AUC} = P(s^+ > s^-) + \tfrac12 P(s^+ = s^-)

    for a positive and a negative example drawn at random (0.5 = chance, 1 = perfect)."""
    from sklearn.metrics import roc_auc_score

    if scores.shape != is_positive.shape or scores.ndim != 1:
        raise ValueError(f"scores {tuple(scores.shape)} and labels {tuple(is_positive.shape)} "
                         f"must both be (N,)")
    labels = is_positive.detach().cpu().to(torch.int64).numpy()
    if labels.min() == labels.max():
        raise ValueError("roc_auc needs both positive and negative examples")
    return float(roc_auc_score(labels, scores.detach().cpu().double().numpy()))
