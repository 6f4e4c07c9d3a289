r"""Logistic regression of the Classification lecture, trained with the lecture's hand gradient.

The three steps of the course's recipe:

1. Function set: :math:`f_{w,b}(x) = \sigma(w^\top x + b) = P_{w,b}(C_1 \mid x)`, the form the
   shared-covariance Gaussians give (:func:`~mllab.classify.two_class_linear`), now with
   :math:`w, b` found directly.
2. Goodness: the likelihood :math:`\prod_n f(x^n)^{\hat y^n}(1 - f(x^n))^{1-\hat y^n}`; its
   negative log is the summed cross-entropy between Bernoulli distributions,

   .. math:: L(w, b) = -\sum_{n} \Big[\hat y^n \ln f(x^n)
       + (1 - \hat y^n)\ln\big(1 - f(x^n)\big)\Big].

3. Best function: gradient descent with the gradient the lecture derives by hand,

   .. math:: \frac{\partial L}{\partial w_i} = -\sum_n \big(\hat y^n - f(x^n)\big)\, x_i^n,
       \qquad \frac{\partial L}{\partial b} = -\sum_n \big(\hat y^n - f(x^n)\big),

   the same form as linear regression's: the error times the input.

Differences from the course: the course writes :math:`\hat y^n \in \{0, 1\}` for the label
(class 1 is :math:`C_1`, class 0 is :math:`C_2`), which is the naming kept here.
:class:`LogisticRegression` divides the summed gradient by :math:`N` (it descends the *mean*
cross-entropy), so that the same learning rate :math:`\eta` works for any training-set size; the
minimizer is unchanged when ``l2 = 0``. The optional L2 penalty
:math:`\frac{\lambda}{2}\lVert w\rVert^2` is not in the lecture; it makes the minimum unique on
separable data, where the unpenalized :math:`w` grows without bound.

Shapes: N examples, C features.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.classify._checks import check_features, check_labels, require_fitted
from mllab.classify.estimator import Classifier, follows_input
from mllab.classify.gradient_descent_config import GradientDescentConfig
from mllab.losses import binary_cross_entropy

__all__ = ["LogisticRegression", "logistic_gradient", "logistic_loss"]


def logistic_loss(w: Tensor, b: Tensor, x: Tensor, y_hat: Tensor) -> Tensor:
    r"""The lecture's summed cross-entropy of :math:`f(x) = \sigma(w^\top x + b)`.

    .. math:: L = -\sum_{n=1}^{N}\Big[\hat y^n \ln f(x^n)
        + (1 - \hat y^n)\ln\big(1 - f(x^n)\big)\Big]

    evaluated in the stable logit form of :func:`mllab.losses.binary_cross_entropy`.

    Args:
        w: Weights :math:`w`, shape (C,).
        b: Bias :math:`b`, shape ().
        x: Inputs :math:`x^n`, shape (N, C).
        y_hat: Labels :math:`\hat y^n \in [0, 1]`, shape (N,), floating point.

    Returns:
        :math:`L`, a 0-dim tensor.
    """
    z = x @ w + b  # (N,)  wᵀxⁿ + b
    return binary_cross_entropy(z, y_hat) * x.shape[0]  # Σₙ, not the mean


def logistic_gradient(w: Tensor, b: Tensor, x: Tensor, y_hat: Tensor) -> tuple[Tensor, Tensor]:
    r"""The lecture's gradient of the summed cross-entropy :func:`logistic_loss`.

    .. math:: \frac{\partial L}{\partial w_i} = -\sum_{n=1}^{N} \big(\hat y^n - f(x^n)\big)\, x_i^n,
        \qquad \frac{\partial L}{\partial b} = -\sum_{n=1}^{N} \big(\hat y^n - f(x^n)\big),
        \qquad f(x) = \sigma(w^\top x + b)

    Args:
        w: Weights :math:`w`, shape (C,).
        b: Bias :math:`b`, shape ().
        x: Inputs :math:`x^n`, shape (N, C).
        y_hat: Labels :math:`\hat y^n \in [0, 1]`, shape (N,), floating point.

    Returns:
        ``(grad_w, grad_b)`` of shapes (C,) and ().
    """
    f = torch.sigmoid(x @ w + b)  # (N,)  f(xⁿ)
    e = y_hat - f  # (N,)  ŷⁿ − f(xⁿ)
    grad_w = -(e @ x)  # (C,)  −Σₙ (ŷⁿ − f(xⁿ)) xᵢⁿ
    grad_b = -e.sum()  # ()    −Σₙ (ŷⁿ − f(xⁿ))
    return grad_w, grad_b


class LogisticRegression(Classifier):
    r"""Two-class logistic regression, full-batch gradient descent with :func:`logistic_gradient`.

    Each epoch takes one step on the mean cross-entropy plus the L2 penalty,

    .. math:: w \leftarrow w - \eta\Big(\frac{1}{N}\frac{\partial L}{\partial w} + \lambda w\Big),
        \qquad b \leftarrow b - \eta\,\frac{1}{N}\frac{\partial L}{\partial b},

    from :math:`w = 0, b = 0` (the loss is convex, so no random start is needed). Computation is in
    float64. The objective matches scikit-learn's ``LogisticRegression(C=1 / (N * l2))``.
    Inputs may be tensors or numpy arrays; outputs follow them (a scikit-learn estimator, see
    :mod:`mllab.classify.estimator`).

    Args:
        lr: Learning rate :math:`\eta` > 0.
        epochs: Number of gradient steps >= 1.
        l2: :math:`\lambda \ge 0` of the penalty :math:`\frac{\lambda}{2}\lVert w\rVert^2`.

    Attributes:
        lr, epochs, l2: the arguments, as given (``get_params``/``set_params``).
        config: The validated :class:`GradientDescentConfig` of those three.
        w: Weights, shape (C,), float64; None before :meth:`fit`.
        b: Bias, shape (), float64; None before :meth:`fit`.
        losses: Objective :math:`\frac{1}{N}L + \frac{\lambda}{2}\lVert w\rVert^2` at the start of
            every epoch (``losses[0] = ln 2``), one float per epoch.

    Raises:
        ValueError: if an argument is out of range (the message names it).
    """

    def __init__(self, lr: float = 0.1, epochs: int = 1000, l2: float = 0.0) -> None:
        self.lr, self.epochs, self.l2 = lr, epochs, l2
        self.validate()
        self.w: Tensor | None = None
        self.b: Tensor | None = None
        self.losses: list[float] = []

    @property
    def config(self) -> GradientDescentConfig:
        r"""``lr``, ``epochs`` and ``l2``, validated."""
        return GradientDescentConfig(lr=self.lr, epochs=self.epochs, l2=self.l2)

    def validate(self) -> None:
        _ = self.config  # building it checks lr, epochs and l2

    def fit(self, x: Tensor, y: Tensor) -> LogisticRegression:
        r"""Run ``epochs`` steps of gradient descent from zero.

        Args:
            x: Training inputs, shape (N, C), floating point.
            y: Labels :math:`\hat y^n \in \{0, 1\}` (1 is :math:`C_1`), shape (N,), integer.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: on bad inputs or labels other than 0 and 1.
        """
        x = check_features(x)  # (N, C) float64
        y = check_labels(y, x.shape[0])
        if bool((y > 1).any()):
            raise ValueError(f"y must hold labels 0 and 1, got max {int(y.max())}")
        y_hat = y.to(torch.float64)  # (N,)
        N, C = x.shape
        config = self.config
        eta, lam = float(config.lr), float(config.l2)  # numpy scalars become Python floats
        w = torch.zeros(C, dtype=torch.float64)
        b = torch.zeros((), dtype=torch.float64)
        self.losses = []
        for _ in range(config.epochs):
            loss = logistic_loss(w, b, x, y_hat) / N + 0.5 * lam * (w @ w)
            self.losses.append(loss.item())
            grad_w, grad_b = logistic_gradient(w, b, x, y_hat)
            w = w - eta * (grad_w / N + lam * w)  # mean gradient + λw
            b = b - eta * grad_b / N
        self.w, self.b = w, b
        return self

    def _logit(self, x: Tensor) -> Tensor:
        require_fitted(self.w, type(self).__name__)
        return check_features(x, self.w.shape[0]) @ self.w + self.b  # (N,)

    @follows_input
    def decision_function(self, x: Tensor) -> Tensor:
        r"""The logit :math:`z = w^\top x + b`, shape (N,), float64."""
        return self._logit(x)

    @follows_input
    def predict_proba(self, x: Tensor) -> Tensor:
        r"""Posterior :math:`P(C_1 \mid x) = \sigma(w^\top x + b)`, shape (N,), dtype of ``x``."""
        return torch.sigmoid(self._logit(x)).to(x.dtype)

    @follows_input
    def predict(self, x: Tensor) -> Tensor:
        r"""Class 1 where :math:`P(C_1 \mid x) > 0.5` (i.e. :math:`z > 0`), else 0; (N,) int64."""
        return (self._logit(x) > 0).to(torch.int64)
