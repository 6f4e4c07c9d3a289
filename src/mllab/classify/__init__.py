r"""The Classification lectures: probabilistic generative model, logistic and softmax regression.

- :class:`GaussianGenerativeClassifier`: Gaussian class densities fitted by maximum likelihood,
  Bayes' rule for :math:`P(C_k \mid x)`; separate, shared or diagonal covariances;
- :func:`two_class_linear`: the shared-covariance posterior as :math:`\sigma(w^\top x + b)`;
- :func:`logistic_gradient` and :class:`LogisticRegression`: the lecture's hand gradient
  :math:`-\sum_n (\hat y^n - f(x^n))\, x_i^n` and gradient descent with it;
- :func:`softmax_regression_gradient` and :class:`SoftmaxRegression`: :math:`K` classes;
- :func:`best_linear_accuracy`: the best any linear classifier can do on 2-D data;
  :class:`Cascade`: cascaded logistic regressions that transform the features first.

The three classifiers are scikit-learn estimators (:class:`~mllab.classify.estimator.Classifier`):
they take numpy arrays or tensors, ``get_params``/``set_params``, ``fit`` returns the
classifier, ``score`` is the accuracy, so ``sklearn.model_selection.cross_val_score`` and
``GridSearchCV`` use them as they are.
"""

from mllab.classify.cascade import Cascade
from mllab.classify.generative import (
    COVARIANCES,
    GaussianGenerativeClassifier,
    class_statistics,
    diagonal_gaussian_log_density,
    gaussian_log_density,
    two_class_linear,
)
from mllab.classify.gradient_descent_config import GradientDescentConfig
from mllab.classify.linear_separability import best_linear_accuracy
from mllab.classify.logistic import LogisticRegression, logistic_gradient, logistic_loss
from mllab.classify.softmax_regression import SoftmaxRegression, softmax_regression_gradient

__all__ = [
    "COVARIANCES",
    "Cascade",
    "GaussianGenerativeClassifier",
    "GradientDescentConfig",
    "LogisticRegression",
    "SoftmaxRegression",
    "best_linear_accuracy",
    "class_statistics",
    "diagonal_gaussian_log_density",
    "gaussian_log_density",
    "logistic_gradient",
    "logistic_loss",
    "softmax_regression_gradient",
    "two_class_linear",
]
