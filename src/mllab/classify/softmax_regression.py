r"""Softmax regression: the multi-class logistic regression of the Classification lecture.

For :math:`K` classes the lecture computes one score per class and normalizes with a softmax,

.. math:: z = W x + b, \qquad y'_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}},

compares :math:`y'` with the one-hot label :math:`\hat y` by the cross-entropy
:math:`-\sum_k \hat y_k \ln y'_k`, and descends its gradient. Averaged over :math:`N` examples,

.. math:: L = -\frac{1}{N}\sum_{n}\sum_{k} \hat y^n_k \ln y'^n_k, \qquad
    \frac{\partial L}{\partial W} = \frac{1}{N}(Y' - \hat Y)^\top X, \qquad
    \frac{\partial L}{\partial b} = \frac{1}{N}\sum_n (y'^n - \hat y^n),

again "error times input", as for two classes (:func:`~mllab.classify.logistic_gradient`).

Differences from the course: the loss is the *mean* over examples, via
:func:`mllab.losses.cross_entropy` on logits (softmax and log fused, numerically stable); an
optional L2 penalty :math:`\frac{\lambda}{2}\lVert W\rVert_F^2` (not on :math:`b`) makes the
minimum unique on separable data. With :math:`K = 2` this is over-parametrized logistic
regression: only :math:`z_1 - z_0` matters.

Shapes: N examples, C features, K classes; :math:`W` is (K, C) as in ``torch.nn.Linear``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.classify._checks import check_features, check_labels, require_fitted
from mllab.classify.estimator import Classifier, follows_input
from mllab.classify.gradient_descent_config import GradientDescentConfig
from mllab.config import require_int
from mllab.losses import cross_entropy

__all__ = ["SoftmaxRegression", "softmax_regression_gradient"]


def softmax_regression_gradient(
    W: Tensor, b: Tensor, x: Tensor, y: Tensor
) -> tuple[Tensor, Tensor]:
    r"""Gradient of the mean cross-entropy of :math:`\mathrm{softmax}(Wx + b)`, written out.

    .. math:: \frac{\partial L}{\partial W} = \frac{1}{N}(Y' - \hat Y)^\top X, \qquad
        \frac{\partial L}{\partial b} = \frac{1}{N}\sum_{n=1}^{N}(y'^n - \hat y^n)

    with :math:`Y'` the (N, K) softmax outputs and :math:`\hat Y` the one-hot labels.

    Args:
        W: Weights, shape (K, C).
        b: Biases, shape (K,).
        x: Inputs, shape (N, C).
        y: Class labels in :math:`\{0, \dots, K-1\}`, shape (N,), int64.

    Returns:
        ``(grad_W, grad_b)`` of shapes (K, C) and (K,).
    """
    N, K = x.shape[0], W.shape[0]
    y_prime = torch.softmax(x @ W.T + b, dim=1)  # (N, K)  Y'
    y_hat = torch.nn.functional.one_hot(y, K).to(y_prime.dtype)  # (N, K)  Ŷ
    e = y_prime - y_hat  # (N, K)  Y' − Ŷ
    return e.T @ x / N, e.sum(dim=0) / N  # (K, C), (K,)


class SoftmaxRegression(Classifier):
    r"""Multi-class logistic regression, full-batch gradient descent from zero.

    Each epoch takes one step

    .. math:: W \leftarrow W - \eta\Big(\frac{\partial L}{\partial W} + \lambda W\Big), \qquad
        b \leftarrow b - \eta\,\frac{\partial L}{\partial b}

    with the written-out :func:`softmax_regression_gradient`, from :math:`W = 0, b = 0` (convex
    loss, so no random start). Computation is in float64. The objective matches scikit-learn's
    multinomial ``LogisticRegression(C=1 / (N * l2))``. Inputs may be tensors or numpy arrays;
    outputs follow them (a scikit-learn estimator, see :mod:`mllab.classify.estimator`).

    Args:
        num_classes: K >= 2; ``None``: one more than the largest label ``fit`` sees.
        lr: Learning rate :math:`\eta` > 0.
        epochs: Number of gradient steps >= 1.
        l2: :math:`\lambda \ge 0` of the penalty :math:`\frac{\lambda}{2}\lVert W\rVert_F^2`.

    Attributes:
        num_classes, lr, epochs, l2: the arguments, as given (``get_params``/``set_params``).
        config: The validated :class:`GradientDescentConfig` of ``lr``, ``epochs``, ``l2``.
        W: Weights, shape (K, C), float64; None before :meth:`fit`.
        b: Biases, shape (K,), float64; None before :meth:`fit`.
        losses: Objective :math:`L + \frac{\lambda}{2}\lVert W\rVert_F^2` at the start of every
            epoch (``losses[0] = ln K``), one float per epoch.

    Raises:
        ValueError: if an argument is out of range (the message names it).
    """

    def __init__(
        self, num_classes: int | None = None, lr: float = 0.1, epochs: int = 1000,
        l2: float = 0.0
    ) -> None:
        self.num_classes, self.lr, self.epochs, self.l2 = num_classes, lr, epochs, l2
        self.validate()
        self.W: Tensor | None = None
        self.b: Tensor | None = None
        self.losses: list[float] = []

    @property
    def config(self) -> GradientDescentConfig:
        r"""``lr``, ``epochs`` and ``l2``, validated."""
        return GradientDescentConfig(lr=self.lr, epochs=self.epochs, l2=self.l2)

    def validate(self) -> None:
        if self.num_classes is not None:
            require_int("num_classes", self.num_classes, 2)
        _ = self.config  # building it checks lr, epochs and l2

    def fit(self, x: Tensor, y: Tensor) -> SoftmaxRegression:
        r"""Run ``epochs`` steps of gradient descent from zero.

        Args:
            x: Training inputs, shape (N, C), floating point.
            y: Class labels in :math:`\{0, \dots, K-1\}`, shape (N,), integer.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: on bad inputs or a label >= ``num_classes``.
        """
        x = check_features(x)  # (N, C) float64
        y = check_labels(y, x.shape[0])
        K = max(int(y.max()) + 1, 2) if self.num_classes is None else self.num_classes
        if bool((y >= K).any()):
            raise ValueError(f"labels must be < num_classes = {K}, got max {int(y.max())}")
        config = self.config
        eta, lam = float(config.lr), float(config.l2)  # numpy scalars become Python floats
        W = torch.zeros(K, x.shape[1], dtype=torch.float64)  # (K, C)
        b = torch.zeros(K, dtype=torch.float64)  # (K,)
        self.losses = []
        for _ in range(config.epochs):
            loss = cross_entropy(x @ W.T + b, y) + 0.5 * lam * (W**2).sum()
            self.losses.append(loss.item())
            grad_W, grad_b = softmax_regression_gradient(W, b, x, y)
            W = W - eta * (grad_W + lam * W)
            b = b - eta * grad_b
        self.W, self.b = W, b
        return self

    def _logits(self, x: Tensor) -> Tensor:
        require_fitted(self.W, type(self).__name__)
        return check_features(x, self.W.shape[1]) @ self.W.T + self.b  # (N, K)

    @follows_input
    def decision_function(self, x: Tensor) -> Tensor:
        r"""The logits :math:`z = Wx + b`, shape (N, K), float64."""
        return self._logits(x)

    @follows_input
    def predict_proba(self, x: Tensor) -> Tensor:
        r"""Posteriors :math:`\mathrm{softmax}(Wx + b)`, shape (N, K), dtype of ``x``."""
        return torch.softmax(self._logits(x), dim=1).to(x.dtype)

    @follows_input
    def predict(self, x: Tensor) -> Tensor:
        r"""The class of largest score, :math:`\arg\max_k z_k`, shape (N,), int64."""
        return self._logits(x).argmax(dim=1)
