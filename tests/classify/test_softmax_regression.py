"""Tests for mllab.classify.softmax_regression: gradient, training, parity with scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from mllab.classify import LogisticRegression, SoftmaxRegression, softmax_regression_gradient
from mllab.data import load_dataset


def test_gradient_equals_autograd() -> None:
    g = torch.Generator().manual_seed(0)
    N, C, K = 40, 7, 10
    x = torch.randn(N, C, generator=g, dtype=torch.float64)
    y = torch.randint(K, (N,), generator=g)
    W = torch.randn(K, C, generator=g, dtype=torch.float64).requires_grad_()
    b = torch.randn(K, generator=g, dtype=torch.float64).requires_grad_()
    F.cross_entropy(x @ W.T + b, y).backward()  # torch's mean cross-entropy as the reference
    grad_W, grad_b = softmax_regression_gradient(W.detach(), b.detach(), x, y)
    assert grad_W.shape == (K, C) and grad_b.shape == (K,)
    torch.testing.assert_close(grad_W, W.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(grad_b, b.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["wine", "iris"])
def test_matches_multinomial_scikit_learn(name: str) -> None:
    """Same objective: mean cross-entropy + (λ/2)‖W‖²_F, i.e. sklearn's C = 1/(Nλ).

    Both sets are (nearly) separable, so a penalty is needed for a unique minimum (see
    test_logistic.py). sklearn's multinomial lbfgs also penalizes all K weight rows.
    """
    s = load_dataset(name, seed=0, dtype=torch.float64)
    l2 = 1e-2
    ref = SkLogisticRegression(C=1 / (len(s.y_train) * l2), max_iter=10_000, tol=1e-10)
    ref.fit(s.x_train.numpy(), s.y_train.numpy())
    clf = SoftmaxRegression(3, lr=1.0, epochs=2000, l2=l2).fit(s.x_train, s.y_train)
    for x in (s.x_test, s.x_valid):
        agree = (clf.predict(x).numpy() == ref.predict(x.numpy())).mean()
        assert agree >= 0.99  # measured: 1.0
        p_ref = ref.predict_proba(x.numpy())
        np.testing.assert_allclose(clf.predict_proba(x).numpy(), p_ref, rtol=0, atol=1e-5)
    assert clf.W is not None  # measured max |ΔW| ≈ 3e-6 (wine), 3e-7 (iris)
    np.testing.assert_allclose(clf.W.numpy(), ref.coef_, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["wine", "iris"])
def test_predictions_match_scikit_learn_with_a_weak_penalty(name: str) -> None:
    """λ = 1e-3: 5000 epochs are not enough for 1e-5 probabilities (measured 1e-3 on wine,
    5e-5 on iris), so only the predictions are compared."""
    s = load_dataset(name, seed=0, dtype=torch.float64)
    l2 = 1e-3
    ref = SkLogisticRegression(C=1 / (len(s.y_train) * l2), max_iter=10_000, tol=1e-10)
    ref.fit(s.x_train.numpy(), s.y_train.numpy())
    clf = SoftmaxRegression(3, lr=1.0, epochs=5000, l2=l2).fit(s.x_train, s.y_train)
    x = torch.cat([s.x_test, s.x_valid])
    assert (clf.predict(x).numpy() == ref.predict(x.numpy())).mean() >= 0.99  # measured: 1.0


def test_two_classes_are_logistic_regression_with_twice_the_step() -> None:
    """With K = 2, only v = W₁ − W₀ matters and its gradient is twice the logistic one:
    SoftmaxRegression(lr=η, l2=λ) takes exactly the steps of LogisticRegression(lr=2η, l2=λ/2)."""
    s = load_dataset("breast_cancer", seed=0, dtype=torch.float64)
    soft = SoftmaxRegression(2, lr=0.25, epochs=300, l2=1e-2).fit(s.x_train, s.y_train)
    logi = LogisticRegression(lr=0.5, epochs=300, l2=5e-3).fit(s.x_train, s.y_train)
    torch.testing.assert_close(
        soft.predict_proba(s.x_test)[:, 1], logi.predict_proba(s.x_test), rtol=0, atol=1e-10
    )
    assert soft.W is not None and logi.w is not None
    torch.testing.assert_close(soft.W[1] - soft.W[0], logi.w, rtol=0, atol=1e-10)


def test_training_loss_starts_at_ln_k_and_decreases() -> None:
    s = load_dataset("wine", seed=0, dtype=torch.float64)
    clf = SoftmaxRegression(3, epochs=500).fit(s.x_train, s.y_train)
    assert len(clf.losses) == 500
    assert clf.losses[0] == pytest.approx(math.log(3), abs=1e-15)  # W = 0: uniform softmax
    assert all(b <= a + 1e-15 for a, b in zip(clf.losses, clf.losses[1:], strict=False))
    assert clf.losses[-1] < 0.1
    assert (clf.predict(s.x_test) == s.y_test).double().mean().item() > 0.9


def test_outputs_shapes_and_dtypes() -> None:
    s = load_dataset("iris", seed=0)  # float32
    clf = SoftmaxRegression(3, epochs=10).fit(s.x_train, s.y_train)
    p = clf.predict_proba(s.x_test)
    assert p.shape == (len(s.y_test), 3) and p.dtype == torch.float32
    torch.testing.assert_close(p.sum(dim=1), torch.ones(len(s.y_test)))
    assert clf.predict(s.x_test).dtype == torch.int64
    assert clf.W is not None and clf.W.shape == (3, 4) and clf.b is not None


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        SoftmaxRegression(1)
    with pytest.raises(ValueError, match="lr must be a finite float > 0"):
        SoftmaxRegression(3, lr=-0.1)
    with pytest.raises(ValueError, match="labels must be < num_classes = 2"):
        SoftmaxRegression(2).fit(torch.randn(3, 2), torch.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="not fitted"):
        SoftmaxRegression(2).predict_proba(torch.randn(3, 2))
