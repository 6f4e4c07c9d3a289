r"""The probabilistic generative model of the Classification lecture: Gaussians and Bayes' rule.

The lecture classifies :math:`x` by Bayes' rule,

.. math:: P(C_k \mid x) = \frac{P(x \mid C_k)\, P(C_k)}{\sum_j P(x \mid C_j)\, P(C_j)},

with the prior :math:`P(C_k) = N_k / N` and a Gaussian likelihood
:math:`P(x \mid C_k) = \mathcal{N}(x; \mu_k, \Sigma_k)` whose :math:`\mu_k, \Sigma_k` maximize
the likelihood of the class's :math:`N_k` training examples:

.. math:: \mu_k = \frac{1}{N_k}\sum_{n \in C_k} x^n, \qquad
    \Sigma_k = \frac{1}{N_k}\sum_{n \in C_k} (x^n - \mu_k)(x^n - \mu_k)^\top.

Three covariance models (the ``covariance`` argument of :class:`GaussianGenerativeClassifier`):

- ``"separate"``: one :math:`\Sigma_k` per class; the boundary is quadratic (like QDA);
- ``"shared"``: the lecture's fix for overfitting, one
  :math:`\Sigma = \sum_k \frac{N_k}{N}\Sigma_k` for all classes; the quadratic terms cancel and
  the boundary is linear (like LDA): :math:`P(C_1 \mid x) = \sigma(w^\top x + b)`, with
  :math:`w, b` in closed form (:func:`two_class_linear`);
- ``"diagonal"``: all dimensions independent, a diagonal :math:`\Sigma_k` per class (the
  lecture's naive Bayes classifier, like ``GaussianNB``).

Differences from the course: the lecture derives two classes; here :math:`K \ge 2`. Bayes' rule
runs in log space, :math:`P(C_k \mid x) = \mathrm{softmax}_k(\ln P(C_k) + \ln
\mathcal{N}(x; \mu_k, \Sigma_k))`, and the Gaussian log density uses a Cholesky factor instead of
:math:`\Sigma^{-1}` and :math:`|\Sigma|`, so that 64-dimensional densities of
:math:`10^{-300}` neither underflow nor lose precision. An optional ``reg`` is added to the
covariance diagonal (not in the lecture): where a feature is constant within a class (e.g. the
border pixels of ``digits``) or there are fewer examples than features, the maximum-likelihood
:math:`\Sigma_k` is singular and :math:`\mathcal{N}` has no density without it.

Shapes: N examples, C features, K classes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from mllab.classify._checks import check_features, check_labels, require_fitted
from mllab.classify.estimator import Classifier, follows_input
from mllab.config import is_real, require

__all__ = [
    "COVARIANCES",
    "GaussianGenerativeClassifier",
    "class_statistics",
    "diagonal_gaussian_log_density",
    "gaussian_log_density",
    "two_class_linear",
]

COVARIANCES: tuple[str, ...] = ("separate", "shared", "diagonal")
r"""The covariance models of :class:`GaussianGenerativeClassifier`."""

_LOG_2PI = math.log(2.0 * math.pi)


def class_statistics(x: Tensor, y: Tensor, num_classes: int) -> tuple[Tensor, Tensor, Tensor]:
    r"""Maximum-likelihood prior, mean and covariance of every class.

    .. math:: P(C_k) = \frac{N_k}{N}, \quad \mu_k = \frac{1}{N_k}\sum_{n \in C_k} x^n, \quad
        \Sigma_k = \frac{1}{N_k}\sum_{n \in C_k} (x^n - \mu_k)(x^n - \mu_k)^\top

    Args:
        x: Inputs, shape (N, C), floating point.
        y: Class labels in :math:`\{0, \dots, K-1\}`, shape (N,), int64.
        num_classes: K; every class must occur in ``y``.

    Returns:
        ``(prior, mu, sigma)`` of shapes (K,), (K, C) and (K, C, C), dtype of ``x``.

    Raises:
        ValueError: if a class in :math:`\{0, \dots, K-1\}` has no example.
    """
    onehot = torch.nn.functional.one_hot(y, num_classes).to(x.dtype)  # (N, K)
    n_k = onehot.sum(dim=0)  # (K,)  N_k
    if bool((n_k == 0).any()):
        missing = torch.nonzero(n_k == 0).squeeze(1).tolist()
        raise ValueError(f"every class in 0..{num_classes - 1} needs an example; none of {missing}")
    prior = n_k / y.shape[0]  # (K,)  P(C_k) = N_k / N
    mu = (onehot.T @ x) / n_k[:, None]  # (K, C)  μ_k
    d = x - mu[y]  # (N, C)  x^n − μ_{k_n}
    sigma = torch.einsum("nk,nc,nd->kcd", onehot, d, d) / n_k[:, None, None]  # (K, C, C)  Σ_k
    return prior, mu, sigma


def _cholesky(sigma: Tensor) -> Tensor:
    r"""Lower Cholesky factor :math:`L` with :math:`LL^\top = \Sigma`; raises if not definite."""
    L, info = torch.linalg.cholesky_ex(sigma)  # (..., C, C)
    if bool((info != 0).any()):
        which = torch.nonzero(info.reshape(-1)).squeeze(1).tolist()
        raise ValueError(
            f"covariance matrix {which} is not positive definite (singular: a feature constant "
            "within a class, or fewer examples than features); set reg > 0, e.g. reg=1e-3"
        )
    return L


def _log_density_cholesky(x: Tensor, mu: Tensor, L: Tensor) -> Tensor:
    r"""Gaussian log densities from the Cholesky factors :math:`L` of the covariances.

    With :math:`z = L^{-1}(x - \mu)` (a triangular solve),
    :math:`(x-\mu)^\top\Sigma^{-1}(x-\mu) = \lVert z\rVert^2` and
    :math:`\ln|\Sigma| = 2\sum_i \ln L_{ii}`.
    """
    C = x.shape[1]
    d = (x[None, :, :] - mu[:, None, :]).transpose(1, 2)  # (K, C, N)  x − μ_k, as columns
    z = torch.linalg.solve_triangular(L, d, upper=False)  # (K, C, N)  L⁻¹(x − μ_k)
    maha = (z**2).sum(dim=1)  # (K, N)  Mahalanobis distance²
    log_det = 2.0 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(dim=-1)  # (K,) or ()
    log_p = -0.5 * (C * _LOG_2PI + log_det.unsqueeze(-1) + maha)  # (K, N)
    return log_p.T  # (N, K)


def gaussian_log_density(x: Tensor, mu: Tensor, sigma: Tensor) -> Tensor:
    r"""Log density of every :math:`x^n` under every Gaussian :math:`\mathcal{N}(\mu_k, \Sigma_k)`.

    .. math:: \ln \mathcal{N}(x; \mu_k, \Sigma_k) = -\frac{1}{2}\Big(C \ln 2\pi + \ln|\Sigma_k|
        + (x - \mu_k)^\top \Sigma_k^{-1} (x - \mu_k)\Big)

    computed through the Cholesky factor :math:`\Sigma_k = L_k L_k^\top`, without
    :math:`\Sigma_k^{-1}`.

    Args:
        x: Inputs, shape (N, C).
        mu: Means :math:`\mu_k`, shape (K, C).
        sigma: Covariances :math:`\Sigma_k`, shape (K, C, C), or one shared (C, C).

    Returns:
        Log densities, shape (N, K).

    Raises:
        ValueError: if a covariance is not positive definite.
    """
    return _log_density_cholesky(x, mu, _cholesky(sigma))


def diagonal_gaussian_log_density(x: Tensor, mu: Tensor, var: Tensor) -> Tensor:
    r"""Log density under Gaussians with diagonal covariances (independent dimensions).

    .. math:: \ln \mathcal{N}(x; \mu_k, \mathrm{diag}(\sigma_k^2)) = -\frac{1}{2}\sum_{i=1}^{C}
        \Big(\ln 2\pi\sigma_{k,i}^2 + \frac{(x_i - \mu_{k,i})^2}{\sigma_{k,i}^2}\Big)

    Args:
        x: Inputs, shape (N, C).
        mu: Means :math:`\mu_k`, shape (K, C).
        var: Variances :math:`\sigma_{k,i}^2 > 0`, shape (K, C).

    Returns:
        Log densities, shape (N, K).
    """
    d2 = (x[:, None, :] - mu[None, :, :]) ** 2  # (N, K, C)  (x_i − μ_{k,i})²
    return -0.5 * (_LOG_2PI + torch.log(var) + d2 / var).sum(dim=-1)  # (N, K)


def two_class_linear(
    mu1: Tensor, mu2: Tensor, sigma: Tensor, prior1: float | Tensor, prior2: float | Tensor
) -> tuple[Tensor, Tensor]:
    r"""The lecture's closed form of the shared-covariance posterior :math:`\sigma(w^\top x + b)`.

    With a covariance :math:`\Sigma` shared by the two classes, :math:`P(C_1 \mid x)
    = \sigma(w^\top x + b)` where

    .. math:: w = \Sigma^{-1}(\mu_1 - \mu_2), \qquad
        b = -\frac{1}{2}\mu_1^\top\Sigma^{-1}\mu_1 + \frac{1}{2}\mu_2^\top\Sigma^{-1}\mu_2
            + \ln\frac{P(C_1)}{P(C_2)}

    :math:`\Sigma^{-1}\mu_1` and :math:`\Sigma^{-1}\mu_2` come from one Cholesky solve.

    Args:
        mu1: Mean :math:`\mu_1` of class :math:`C_1`, shape (C,).
        mu2: Mean :math:`\mu_2` of class :math:`C_2`, shape (C,).
        sigma: Shared covariance :math:`\Sigma`, shape (C, C), positive definite.
        prior1: :math:`P(C_1) > 0`.
        prior2: :math:`P(C_2) > 0`.

    Returns:
        ``(w, b)``: shapes (C,) and (), dtype of ``sigma``.
    """
    L = _cholesky(sigma)  # (C, C)
    m = torch.stack([mu1, mu2], dim=1).to(sigma.dtype)  # (C, 2)  [μ₁ μ₂]
    a = torch.cholesky_solve(m, L)  # (C, 2)  [Σ⁻¹μ₁  Σ⁻¹μ₂]
    w = a[:, 0] - a[:, 1]  # (C,)  Σ⁻¹(μ₁ − μ₂)
    log_ratio = torch.log(torch.as_tensor(prior1, dtype=sigma.dtype) / prior2)  # ln P(C₁)/P(C₂)
    b = -0.5 * m[:, 0] @ a[:, 0] + 0.5 * m[:, 1] @ a[:, 1] + log_ratio
    return w, b


class GaussianGenerativeClassifier(Classifier):
    r"""Gaussian class-conditional densities, maximum-likelihood fit, Bayes' rule for the posterior.

    Computation is in float64; outputs take the dtype of the inputs of :meth:`log_joint`,
    :meth:`predict_proba`. Inputs may be tensors or numpy arrays; outputs follow them (a
    scikit-learn estimator, see :mod:`mllab.classify.estimator`).

    Args:
        covariance: ``"separate"`` (:math:`\Sigma_k` per class), ``"shared"``
            (:math:`\Sigma = \sum_k \frac{N_k}{N}\Sigma_k`) or ``"diagonal"`` (naive Bayes).
        reg: Added to the diagonal of every covariance, :math:`\Sigma_k + \text{reg}\, I`
            (after pooling for ``"shared"``); >= 0. Needed when a maximum-likelihood covariance
            is singular (``digits``: pixels constant within a class). ``GaussianNB``'s
            ``var_smoothing`` is the same for ``"diagonal"`` with
            ``reg = var_smoothing * max_i Var(x_i)``.

    Attributes:
        covariance, reg: the arguments, as given (``get_params``/``set_params``).
        prior: :math:`P(C_k) = N_k/N`, shape (K,), float64; None before :meth:`fit`.
        mu: Class means :math:`\mu_k`, shape (K, C), float64.
        sigma: Covariances used, shape (K, C, C), float64, ``reg`` included: equal matrices for
            ``"shared"``, diagonal ones for ``"diagonal"``.

    Raises:
        ValueError: on an unknown ``covariance`` or a negative ``reg``.
    """

    def __init__(self, covariance: str = "shared", reg: float = 0.0) -> None:
        self.covariance, self.reg = covariance, reg
        self.validate()
        self.prior: Tensor | None = None
        self.mu: Tensor | None = None
        self.sigma: Tensor | None = None
        self._factor: Tensor | None = None  # Cholesky factor(s), or the variances if diagonal

    def validate(self) -> None:
        require(self.covariance in COVARIANCES, "covariance",
                f"one of {', '.join(map(repr, COVARIANCES))}", self.covariance)
        require(is_real(self.reg) and self.reg >= 0 and math.isfinite(self.reg), "reg",
                "a finite float >= 0", self.reg)

    def fit(self, x: Tensor, y: Tensor) -> GaussianGenerativeClassifier:
        r"""Estimate :math:`P(C_k), \mu_k, \Sigma_k` by maximum likelihood.

        Args:
            x: Training inputs, shape (N, C), floating point.
            y: Class labels in :math:`\{0, \dots, K-1\}`, shape (N,), integer; K is
                ``y.max() + 1`` and every class must occur.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: on bad inputs, a missing class, or a singular covariance with ``reg=0``.
        """
        x = check_features(x)  # (N, C) float64
        y = check_labels(y, x.shape[0])
        prior, mu, sigma_k = class_statistics(x, y, int(y.max()) + 1)
        reg = float(self.reg)  # a numpy scalar becomes a Python float
        eye = torch.eye(x.shape[1], dtype=x.dtype)  # (C, C)
        if self.covariance == "shared":
            sigma = torch.einsum("k,kcd->cd", prior, sigma_k) + reg * eye  # Σ = Σ_k N_k/N Σ_k
            self._factor = _cholesky(sigma)  # (C, C)
            sigma_k = sigma.expand_as(sigma_k).clone()  # (K, C, C)
        elif self.covariance == "separate":
            sigma_k = sigma_k + reg * eye  # (K, C, C)
            self._factor = _cholesky(sigma_k)  # (K, C, C)
        else:
            var = torch.diagonal(sigma_k, dim1=-2, dim2=-1) + reg  # (K, C)  σ²_{k,i}
            if bool((var <= 0).any()):
                raise ValueError(
                    "a feature has zero variance within a class; set reg > 0, e.g. reg=1e-3"
                )
            self._factor = var
            sigma_k = torch.diag_embed(var)  # (K, C, C)
        self.prior, self.mu, self.sigma = prior, mu, sigma_k
        return self

    @follows_input
    def log_joint(self, x: Tensor) -> Tensor:
        r"""The log joint :math:`\ln P(C_k) + \ln \mathcal{N}(x^n; \mu_k, \Sigma_k)` for every pair.

        Args:
            x: Inputs, shape (N, C), floating point.

        Returns:
            Shape (N, K), dtype of ``x``.
        """
        return self._log_joint(self._check(x)).to(x.dtype)

    @follows_input
    def predict_proba(self, x: Tensor) -> Tensor:
        r"""Posterior :math:`P(C_k \mid x)` by Bayes' rule, a softmax of the log joint.

        .. math:: P(C_k \mid x) = \frac{P(x|C_k)P(C_k)}{\sum_j P(x|C_j)P(C_j)}
            = \mathrm{softmax}_k\big(\ln P(C_k) + \ln P(x \mid C_k)\big)

        Args:
            x: Inputs, shape (N, C), floating point.

        Returns:
            Posteriors, shape (N, K), rows summing to 1, dtype of ``x``.
        """
        log_joint = self._log_joint(self._check(x))  # (N, K) float64
        return torch.softmax(log_joint, dim=1).to(x.dtype)

    @follows_input
    def predict(self, x: Tensor) -> Tensor:
        r"""The class of largest posterior, :math:`\arg\max_k P(C_k \mid x)`, shape (N,), int64."""
        return self._log_joint(self._check(x)).argmax(dim=1)

    def _check(self, x: Tensor) -> Tensor:
        require_fitted(self.prior, type(self).__name__)
        return check_features(x, self.mu.shape[1])  # (N, C) float64

    def _log_joint(self, x: Tensor) -> Tensor:
        if self.covariance == "diagonal":
            log_px = diagonal_gaussian_log_density(x, self.mu, self._factor)  # (N, K)
        else:
            log_px = _log_density_cholesky(x, self.mu, self._factor)  # (N, K)
        return torch.log(self.prior) + log_px  # (N, K)  ln P(C_k) + ln P(x | C_k)
