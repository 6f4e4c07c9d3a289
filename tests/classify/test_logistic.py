"""Tests for mllab.classify.logistic: the hand gradient, training, parity with scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from mllab.classify import LogisticRegression, logistic_gradient, logistic_loss
from mllab.data import load_dataset


def _summed_cross_entropy(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y_hat: torch.Tensor):
    """The lecture's L written naively, as the independent reference for autograd."""
    f = torch.sigmoid(x @ w + b)
    return -(y_hat * torch.log(f) + (1 - y_hat) * torch.log(1 - f)).sum()


@pytest.mark.parametrize("soft", [False, True])
def test_logistic_gradient_equals_autograd(soft: bool) -> None:
    g = torch.Generator().manual_seed(0)
    N, C = 50, 6
    x = torch.randn(N, C, generator=g, dtype=torch.float64)
    w = torch.randn(C, generator=g, dtype=torch.float64).requires_grad_()
    b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    y_hat = torch.rand(N, generator=g, dtype=torch.float64)
    if not soft:
        y_hat = (y_hat > 0.5).double()
    _summed_cross_entropy(w, b, x, y_hat).backward()
    grad_w, grad_b = logistic_gradient(w.detach(), b.detach(), x, y_hat)
    assert grad_w.shape == (C,) and grad_b.shape == ()
    torch.testing.assert_close(grad_w, w.grad, rtol=0, atol=1e-10)
    torch.testing.assert_close(grad_b, b.grad, rtol=0, atol=1e-10)
    # the loss is the summed one, and its stable form agrees with the naive one
    loss = logistic_loss(w.detach(), b.detach(), x, y_hat)
    torch.testing.assert_close(loss, _summed_cross_entropy(w, b, x, y_hat).detach())


def test_logistic_gradient_by_hand_for_one_example() -> None:
    w, b = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor(0.5, dtype=torch.float64)
    x, y_hat = torch.tensor([[0.5, 0.25]], dtype=torch.float64), torch.tensor([1.0]).double()
    f = 1 / (1 + math.exp(-(0.5 - 0.5 + 0.5)))  # σ(wᵀx + b) = σ(0.5)
    grad_w, grad_b = logistic_gradient(w, b, x, y_hat)
    torch.testing.assert_close(grad_w, torch.tensor([-(1 - f) * 0.5, -(1 - f) * 0.25]).double())
    assert grad_b.item() == pytest.approx(-(1 - f), abs=1e-15)


@pytest.mark.parametrize(
    ("l2", "epochs", "prob_atol"),
    [
        (1e-2, 2000, 1e-5),  # measured max |Δp| ≈ 1e-7: sklearn's own lbfgs tolerance
        (1e-3, 10000, 1e-4),  # weaker penalty, worse conditioning: more epochs; measured ≈ 1e-6
    ],
)
def test_matches_scikit_learn_on_breast_cancer(l2: float, epochs: int, prob_atol: float) -> None:
    """Same objective: mean loss + (λ/2)‖w‖² = (1/N)(Σ loss + ‖w‖²/(2C)) with C = 1/(Nλ).

    The training split is linearly separable (sklearn with C=inf reaches 100% training
    accuracy), so without a penalty the minimizer is at infinity and two optimizers agree only
    as far as their stopping points happen to (95.6% to 100% of test points over seeds 0..4);
    a finite penalty makes the minimum unique and the comparison meaningful.
    """
    s = load_dataset("breast_cancer", seed=0, dtype=torch.float64)
    N = len(s.y_train)
    ref = SkLogisticRegression(C=1 / (N * l2), max_iter=10_000, tol=1e-10)
    ref.fit(s.x_train.numpy(), s.y_train.numpy())
    clf = LogisticRegression(lr=1.0, epochs=epochs, l2=l2).fit(s.x_train, s.y_train)
    for x in (s.x_test, s.x_valid):
        agree = (clf.predict(x).numpy() == ref.predict(x.numpy())).mean()
        assert agree >= 0.99  # measured: 1.0
        p_ref = ref.predict_proba(x.numpy())[:, 1]
        np.testing.assert_allclose(clf.predict_proba(x).numpy(), p_ref, rtol=0, atol=prob_atol)
    assert clf.w is not None
    # measured max |Δw|: 3e-7 (λ = 1e-2), 4e-6 (λ = 1e-3)
    np.testing.assert_allclose(clf.w.numpy(), ref.coef_[0], rtol=0, atol=10 * prob_atol)


def test_training_loss_starts_at_ln2_and_decreases_monotonically() -> None:
    s = load_dataset("breast_cancer", seed=0, dtype=torch.float64)
    clf = LogisticRegression().fit(s.x_train, s.y_train)  # lr 0.1 < 2/L: monotone descent
    assert len(clf.losses) == 1000
    assert clf.losses[0] == pytest.approx(math.log(2), abs=1e-15)  # w = 0, b = 0: f = 1/2
    assert all(b <= a + 1e-15 for a, b in zip(clf.losses, clf.losses[1:], strict=False))
    assert clf.losses[-1] < 0.15
    assert (clf.predict(s.x_test) == s.y_test).double().mean().item() > 0.9


def test_unpenalized_weights_keep_growing_on_separable_data() -> None:
    """Why the sklearn comparison uses l2 > 0: with l2 = 0 the optimum is at infinity."""
    s = load_dataset("breast_cancer", seed=0, dtype=torch.float64)
    short = LogisticRegression(lr=1.0, epochs=500).fit(s.x_train, s.y_train)
    long = LogisticRegression(lr=1.0, epochs=2000).fit(s.x_train, s.y_train)
    assert short.w is not None and long.w is not None
    assert long.w.norm() > 1.2 * short.w.norm()
    assert long.losses[-1] < 0.7 * short.losses[-1]


def test_outputs_shapes_and_dtypes() -> None:
    s = load_dataset("breast_cancer", seed=0)  # float32
    clf = LogisticRegression(epochs=10).fit(s.x_train, s.y_train)
    p = clf.predict_proba(s.x_test)
    assert p.shape == (len(s.y_test),) and p.dtype == torch.float32
    assert clf.predict(s.x_test).dtype == torch.int64
    assert torch.equal(clf.predict(s.x_test), (clf.decision_function(s.x_test) > 0).long())
    assert clf.w is not None and clf.w.dtype == torch.float64 and clf.b is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.0}, "lr must be a finite float > 0"),
        ({"lr": math.inf}, "lr must be a finite float > 0"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"epochs": 2.5}, "epochs must be an integer >= 1"),
        ({"l2": -1.0}, "l2 must be a finite float >= 0"),
    ],
)
def test_bad_settings_name_the_argument(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LogisticRegression(**kwargs)


def test_labels_other_than_zero_and_one_are_refused() -> None:
    x = torch.randn(4, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        LogisticRegression().fit(x, torch.tensor([0, 1, 2, 1]))
    with pytest.raises(RuntimeError, match="not fitted"):
        LogisticRegression().predict(x)
