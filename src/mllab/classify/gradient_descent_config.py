r"""Settings of the full-batch gradient descent that trains the discriminative classifiers.

Step 3 of the course's recipe picks the best function by gradient descent,

.. math:: \theta^{t+1} = \theta^t - \eta\, \nabla_\theta \Big(L(\theta^t)
    + \frac{\lambda}{2}\lVert w^t \rVert^2\Big),

here on the whole training set at every step (one step per epoch), with an optional L2 penalty
:math:`\lambda` on the weights :math:`w` (never on the bias :math:`b`). Logistic regression
(:class:`~mllab.classify.LogisticRegression`) and softmax regression
(:class:`~mllab.classify.SoftmaxRegression`) share these settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mllab.config import is_real, require, require_int

__all__ = ["GradientDescentConfig"]


@dataclass(frozen=True)
class GradientDescentConfig:
    r"""Learning rate, number of epochs and L2 strength of full-batch gradient descent."""

    lr: float = 0.1
    r"""Learning rate :math:`\eta`; a finite float > 0."""

    epochs: int = 1000
    r"""Number of full-batch steps (one per epoch); an integer >= 1."""

    l2: float = 0.0
    r"""L2 strength :math:`\lambda` of the penalty :math:`\frac{\lambda}{2}\lVert w\rVert^2` added
    to the mean loss; a finite float >= 0 (0 disables it). The bias is not penalized."""

    def __post_init__(self) -> None:
        require(is_real(self.lr) and math.isfinite(self.lr) and self.lr > 0, "lr",
                "a finite float > 0", self.lr)
        require_int("epochs", self.epochs, 1)
        require(is_real(self.l2) and math.isfinite(self.l2) and self.l2 >= 0, "l2",
                "a finite float >= 0", self.l2)
