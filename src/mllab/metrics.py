r"""Measures the experiments share: accuracy, the mean and spread of repeats, Spearman's rank
correlation with a permutation test, and the measures of generative models: the Fréchet
distance of Gaussians fitted to features (FID), the Inception Score, nearest-neighbour
distances (the copying check); the distinct-n diversity of generated text; the ROC AUC of
anomaly scores.

FID and IS are defined on an Inception-v3 network's features and probabilities; mllab has no
such weights (nothing downloads), so the callers pass the features and probabilities of a
classifier trained on the same data (e.g. :mod:`mllab.gan.digits_classifier`). The formulas are
the papers'; the values are comparable only among runs that use the same classifier."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

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


def gaussian_fit(features: Tensor) -> tuple[Tensor, Tensor]:
    r"""Mean :math:`\mu` ``(C,)`` and covariance :math:`\Sigma` ``(C, C)`` (unbiased,
    :math:`\frac{1}{N-1}`) of ``features`` ``(N, C)``, float64."""
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be (N, C) with N >= 2, got {tuple(features.shape)}")
    f = features.double()
    mu = f.mean(0)
    centred = f - mu  # (N, C)
    return mu, centred.T @ centred / (len(f) - 1)


def _sqrt_psd(a: Tensor) -> Tensor:
    r"""The symmetric square root of a symmetric positive semi-definite matrix (eigenvalues
    below zero, from rounding, taken as zero)."""
    lam, Q = torch.linalg.eigh((a + a.T) / 2)
    return (Q * lam.clamp(min=0).sqrt()) @ Q.T


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    r"""The Fréchet (Wasserstein-2) distance squared of :math:`\mathcal{N}(\mu_1, \Sigma_1)`
    and :math:`\mathcal{N}(\mu_2, \Sigma_2)` (Dowson and Landau 1982; FID, arXiv:1706.08500):

    .. math:: d^2 = \|\mu_1 - \mu_2\|^2
        + \mathrm{Tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1 \Sigma_2)^{1/2}\big)

    :math:`\mathrm{Tr}(\Sigma_1\Sigma_2)^{1/2}` is computed as
    :math:`\mathrm{Tr}(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2}`, the square roots of the
    eigenvalues of a symmetric matrix (the same eigenvalues, without a non-symmetric matrix
    square root); float64."""
    mu1, mu2, sigma1, sigma2 = mu1.double(), mu2.double(), sigma1.double(), sigma2.double()
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    d2 = (mu1 - mu2).square().sum() + sigma1.trace() + sigma2.trace() - 2 * trace_sqrt
    return max(float(d2), 0.0)


def fid(features_real: Tensor, features_fake: Tensor) -> float:
    r"""FID: :func:`frechet_distance` of the Gaussians fitted (:func:`gaussian_fit`) to the
    features ``(N, C)`` of real and of generated samples."""
    return frechet_distance(*gaussian_fit(features_real), *gaussian_fit(features_fake))


def inception_score(probabilities: Tensor, splits: int = 1) -> tuple[float, float]:
    r"""The Inception Score (Salimans et al., arXiv:1606.03498, §4) of class probabilities
    :math:`p(y|x)` ``(N, K)``:

    .. math:: \mathrm{IS} = \exp\big(\mathbb{E}_x\, \mathrm{KL}(p(y|x) \,\|\, p(y))\big),
        \qquad p(y) = \mathbb{E}_x\, p(y|x)

    high when each sample's class is certain (quality) and the classes are spread (diversity):
    between 1 and :math:`K`. The samples are cut into ``splits`` equal consecutive parts (the
    paper uses 10); returns the mean and standard deviation (population, as the paper's code)
    of the parts' scores; float64, :math:`0 \log 0 = 0`."""
    if probabilities.ndim != 2 or not 1 <= splits <= len(probabilities):
        raise ValueError(f"probabilities must be (N, K) and splits in [1, N], got "
                         f"{tuple(probabilities.shape)} and {splits}")
    scores = []
    for part in torch.tensor_split(probabilities.double(), splits):
        p_y = part.mean(0, keepdim=True)  # (1, K)
        terms = torch.where(part > 0, part * (part.log() - p_y.log()), 0.0)  # (n, K)
        scores.append(float(terms.sum(1).mean().exp()))
    v = torch.tensor(scores, dtype=torch.float64)
    return float(v.mean()), float(v.std(unbiased=False))


def nearest_neighbour_distances(samples: Tensor, reference: Tensor) -> Tensor:
    r"""For each of ``samples`` ``(N, ...)`` the Euclidean distance to its nearest neighbour
    among ``reference`` ``(M, ...)`` (flattened), ``(N,)`` float64. A generator that copies its
    training set is much nearer to the training samples than to held-out ones."""
    a = samples.flatten(1).double()
    b = reference.flatten(1).double()
    return torch.cdist(a, b).min(dim=1).values


def distinct_n(sequences: Iterable[Sequence[int]], n: int) -> float:
    r"""Distinct-n: the share of distinct n-grams among all n-grams of ``sequences``.

    .. math:: \text{distinct-}n = \frac{|\{\text{distinct } n\text{-grams}\}|}
        {\sum_s \max(|s| - n + 1, 0)}

    pooled over the sequences (an n-gram never crosses two of them). Li et al., "A
    Diversity-Promoting Objective Function for Neural Conversation Models", arXiv:1510.03055,
    §4.3, divide by the number of generated tokens instead; the two differ by :math:`n - 1`
    per sequence. Repetitive text (greedy decoding's loops) scores low, 1 means no n-gram
    repeats; 0 when there is no n-gram at all.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    grams: set[tuple] = set()
    total = 0
    for seq in sequences:
        s = [int(t) for t in seq]
        windows = [tuple(s[i:i + n]) for i in range(len(s) - n + 1)]
        grams.update(windows)
        total += len(windows)
    return len(grams) / total if total else 0.0


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
