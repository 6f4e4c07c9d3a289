"""Tests for mllab.classify.generative: closed forms, densities, parity with scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.covariance import empirical_covariance
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.naive_bayes import GaussianNB
from torch.distributions import MultivariateNormal

from mllab.classify import (
    COVARIANCES,
    GaussianGenerativeClassifier,
    class_statistics,
    diagonal_gaussian_log_density,
    gaussian_log_density,
    two_class_linear,
)
from mllab.data import Split, load_dataset

DIGITS_REG = 1e-2  # digits: pixels constant within a class make every ML covariance singular


def _split(name: str, seed: int = 0) -> Split:
    return load_dataset(name, seed=seed, dtype=torch.float64)


def _random_spd(K: int, C: int, g: torch.Generator) -> torch.Tensor:
    a = torch.randn(K, C, C, generator=g, dtype=torch.float64)
    return a @ a.transpose(1, 2) / C + 0.1 * torch.eye(C, dtype=torch.float64)  # (K, C, C)


class _RidgeCovariance:
    """scikit-learn covariance estimator: the ML (biased) covariance plus ``reg * I``.

    LDA (``solver="lsqr"``) and QDA (``solver="eigen"``) accept it as ``covariance_estimator``,
    which makes them the same model as ours with ``reg`` (LDA pools Σ_k + reg I with weights
    N_k/N that sum to 1, so the pooled matrix is Σ + reg I).
    """

    def __init__(self, reg: float) -> None:
        self.reg = reg

    def fit(self, X: np.ndarray, y: object = None) -> _RidgeCovariance:
        self.covariance_ = empirical_covariance(X) + self.reg * np.eye(X.shape[1])
        return self


# ------------------------------------------------------------------------------ closed forms
def test_two_class_linear_gives_the_shared_gaussian_posterior() -> None:
    """The lecture's σ(wᵀx + b) equals Bayes' rule with the fitted shared-covariance Gaussians."""
    s = _split("breast_cancer")
    clf = GaussianGenerativeClassifier("shared").fit(s.x_train, s.y_train)
    assert clf.prior is not None and clf.mu is not None and clf.sigma is not None
    # C₁ = class 1, C₂ = class 0
    w, b = two_class_linear(clf.mu[1], clf.mu[0], clf.sigma[0], clf.prior[1], clf.prior[0])
    for x in (s.x_train, s.x_test):
        p1 = torch.sigmoid(x @ w + b)
        torch.testing.assert_close(clf.predict_proba(x)[:, 1], p1, rtol=0, atol=1e-8)
    # and it is not trivially 0/1 everywhere: the comparison covers uncertain points too
    p = clf.predict_proba(s.x_test)[:, 1]
    assert bool(((p > 0.01) & (p < 0.99)).any())


def test_two_class_linear_by_hand_with_explicit_inverse() -> None:
    g = torch.Generator().manual_seed(0)
    C = 4
    sigma = _random_spd(1, C, g)[0]
    mu1, mu2 = torch.randn(2, C, generator=g, dtype=torch.float64)
    inv = torch.linalg.inv(sigma)
    w, b = two_class_linear(mu1, mu2, sigma, 0.3, 0.7)
    torch.testing.assert_close(w, inv @ (mu1 - mu2), rtol=0, atol=1e-12)
    b_hand = -0.5 * mu1 @ inv @ mu1 + 0.5 * mu2 @ inv @ mu2 + math.log(0.3 / 0.7)
    torch.testing.assert_close(b, b_hand, rtol=0, atol=1e-12)


def test_gaussian_log_density_matches_torch_distributions() -> None:
    g = torch.Generator().manual_seed(1)
    N, K, C = 7, 3, 5
    x = torch.randn(N, C, generator=g, dtype=torch.float64)
    mu = torch.randn(K, C, generator=g, dtype=torch.float64)
    sigma = _random_spd(K, C, g)
    expected = MultivariateNormal(mu, covariance_matrix=sigma).log_prob(x[:, None, :])  # (N, K)
    torch.testing.assert_close(gaussian_log_density(x, mu, sigma), expected, rtol=0, atol=1e-10)
    # one shared (C, C) matrix broadcasts over the K means
    shared = gaussian_log_density(x, mu, sigma[0])
    torch.testing.assert_close(shared, gaussian_log_density(x, mu, sigma[:1].expand(K, C, C)))
    var = torch.rand(K, C, generator=g, dtype=torch.float64) + 0.1
    diag = MultivariateNormal(mu, covariance_matrix=torch.diag_embed(var)).log_prob(x[:, None])
    torch.testing.assert_close(diagonal_gaussian_log_density(x, mu, var), diag, rtol=0, atol=1e-10)


def test_gaussian_log_density_does_not_underflow_in_64_dimensions() -> None:
    x = torch.full((1, 64), 30.0, dtype=torch.float64)  # density ~ exp(-28800): 0 in float64
    log_p = gaussian_log_density(x, torch.zeros(1, 64, dtype=torch.float64), torch.eye(64).double())
    assert math.isfinite(log_p.item())
    assert log_p.item() == pytest.approx(-0.5 * (64 * math.log(2 * math.pi) + 64 * 900.0))


def test_class_statistics_are_the_maximum_likelihood_estimates() -> None:
    s = _split("wine")
    prior, mu, sigma = class_statistics(s.x_train, s.y_train, 3)
    for k in range(3):
        xk = s.x_train[s.y_train == k]
        assert prior[k].item() == pytest.approx(len(xk) / len(s.y_train), abs=1e-15)
        torch.testing.assert_close(mu[k], xk.mean(dim=0))
        torch.testing.assert_close(sigma[k], torch.cov(xk.T, correction=0))  # 1/N_k, not N_k − 1


# ------------------------------------------------------------------------ parity with sklearn
def _reference(name: str, covariance: str) -> tuple[object, float]:
    """The scikit-learn estimator that is the same model, and the ``reg`` that makes it so."""
    if covariance == "shared":
        if name == "digits":
            est = _RidgeCovariance(DIGITS_REG)
            return LinearDiscriminantAnalysis(solver="lsqr", covariance_estimator=est), DIGITS_REG
        return LinearDiscriminantAnalysis(solver="lsqr"), 0.0
    if covariance == "separate":
        # scikit-learn 1.9's QDA uses the ML (1/N_k) covariance (asserted in
        # test_qda_covariance_is_the_maximum_likelihood_one), so the models coincide exactly and
        # probabilities are compared, not only predictions. tol only sets the rank warning: the
        # standardized breast_cancer covariances have eigenvalues below its default 1e-4.
        if name == "digits":
            est = _RidgeCovariance(DIGITS_REG)
            qda = QuadraticDiscriminantAnalysis(solver="eigen", covariance_estimator=est, tol=0)
            return qda, DIGITS_REG
        return QuadraticDiscriminantAnalysis(tol=1e-12), 0.0
    # GaussianNB adds var_smoothing * max_i Var(x_i) to every variance: the same as our reg
    return GaussianNB(var_smoothing=1e-2 if name == "digits" else 0.0), math.nan


@pytest.mark.parametrize("covariance", COVARIANCES)
@pytest.mark.parametrize("name", ["breast_cancer", "wine", "iris", "digits"])
def test_matches_scikit_learn(name: str, covariance: str) -> None:
    s = _split(name)
    ref, reg = _reference(name, covariance)
    ref.fit(s.x_train.numpy(), s.y_train.numpy())
    if covariance == "diagonal":
        reg = float(ref.epsilon_)
    clf = GaussianGenerativeClassifier(covariance, reg=reg).fit(s.x_train, s.y_train)
    for x in (s.x_test, s.x_valid):
        agree = (clf.predict(x).numpy() == ref.predict(x.numpy())).mean()
        assert agree >= 0.99  # measured: 1.0 everywhere
        diff = np.abs(clf.predict_proba(x).numpy() - ref.predict_proba(x.numpy())).max()
        assert diff < 1e-6  # measured: <= 1e-11


def test_qda_covariance_is_the_maximum_likelihood_one() -> None:
    """Older scikit-learn divided by N_k − 1; 1.9 divides by N_k, like the lecture."""
    s = _split("wine")
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(s.x_train.numpy(), s.y_train)
    clf = GaussianGenerativeClassifier("separate").fit(s.x_train, s.y_train)
    assert clf.sigma is not None
    for k in range(3):
        np.testing.assert_allclose(clf.sigma[k].numpy(), qda.covariance_[k], rtol=0, atol=1e-12)


def test_digits_accuracy_is_sensible() -> None:
    """Not a parity check: the fitted models classify digits well above chance (0.1)."""
    s = _split("digits")
    for covariance in COVARIANCES:
        clf = GaussianGenerativeClassifier(covariance, reg=DIGITS_REG).fit(s.x_train, s.y_train)
        assert (clf.predict(s.x_test) == s.y_test).double().mean().item() > 0.8


# --------------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("covariance", COVARIANCES)
def test_outputs_shapes_dtypes_and_normalization(covariance: str) -> None:
    s = load_dataset("iris", seed=0)  # float32 inputs
    clf = GaussianGenerativeClassifier(covariance).fit(s.x_train, s.y_train)
    p = clf.predict_proba(s.x_test)
    assert p.shape == (len(s.y_test), 3) and p.dtype == torch.float32
    torch.testing.assert_close(p.sum(dim=1), torch.ones(len(s.y_test)))
    assert torch.equal(clf.predict(s.x_test), clf.log_joint(s.x_test).argmax(dim=1))
    assert clf.predict(s.x_test).dtype == torch.int64
    assert clf.sigma is not None and clf.sigma.shape == (3, 4, 4)
    assert clf.sigma.dtype == torch.float64


def test_shared_covariance_is_the_prior_weighted_mean() -> None:
    s = _split("wine")
    prior, _, sigma_k = class_statistics(s.x_train, s.y_train, 3)
    clf = GaussianGenerativeClassifier("shared", reg=0.5).fit(s.x_train, s.y_train)
    assert clf.sigma is not None
    expected = sum(prior[k] * sigma_k[k] for k in range(3)) + 0.5 * torch.eye(13).double()
    for k in range(3):
        torch.testing.assert_close(clf.sigma[k], expected, rtol=0, atol=1e-13)


def test_diagonal_keeps_only_the_variances() -> None:
    s = _split("iris")
    _, _, sigma_k = class_statistics(s.x_train, s.y_train, 3)
    clf = GaussianGenerativeClassifier("diagonal").fit(s.x_train, s.y_train)
    assert clf.sigma is not None
    torch.testing.assert_close(clf.sigma, torch.diag_embed(torch.diagonal(sigma_k, 0, 1, 2)))


# -------------------------------------------------------------------------------- validation
def test_unknown_covariance_names_the_choices() -> None:
    with pytest.raises(ValueError, match="covariance.*'separate', 'shared', 'diagonal'.*'full'"):
        GaussianGenerativeClassifier("full")


@pytest.mark.parametrize("reg", [-1e-3, math.nan, math.inf])
def test_bad_reg_is_refused(reg: float) -> None:
    with pytest.raises(ValueError, match="reg must be"):
        GaussianGenerativeClassifier("shared", reg=reg)


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_singular_covariance_asks_for_reg(covariance: str) -> None:
    s = _split("digits")
    with pytest.raises(ValueError, match="reg > 0"):
        GaussianGenerativeClassifier(covariance).fit(s.x_train, s.y_train)


def test_missing_class_and_bad_inputs_are_refused() -> None:
    x = torch.randn(6, 2, dtype=torch.float64)
    clf = GaussianGenerativeClassifier("shared", reg=1e-3)
    with pytest.raises(ValueError, match=r"none of \[1\]"):
        clf.fit(x, torch.tensor([0, 0, 2, 2, 0, 2]))
    with pytest.raises(ValueError, match="integer class labels"):
        clf.fit(x, torch.zeros(6))
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        clf.fit(x[0], torch.zeros(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.predict(x)
    clf.fit(x, torch.tensor([0, 1, 0, 1, 0, 1]))
    with pytest.raises(ValueError, match="3 features but the model was fitted on 2"):
        clf.predict(torch.randn(2, 3))
