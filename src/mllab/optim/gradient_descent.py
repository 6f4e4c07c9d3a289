r"""Gradient descent, step (3) of Lecture 1's recipe: move against the gradient.

.. math:: \theta^{t+1} = \theta^t - \eta\, g^t, \qquad g^t = \nabla L(\theta^t)

With ``weight_decay`` :math:`\lambda > 0` the gradient is that of
:math:`L(\theta) + \frac{\lambda}{2}\lVert\theta\rVert^2`, :math:`g^t \leftarrow g^t + \lambda
\theta^t`. Whether :math:`g` comes from the whole training set or one batch is the caller's
choice (full-batch or mini-batch gradient descent, Lecture 2's "batch").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from mllab.optim._foreach_optimizer import ForeachOptimizer, l2_gradient

__all__ = ["GradientDescent", "gradient_descent_step"]


def gradient_descent_step(theta: list[Tensor], g: list[Tensor], *, eta: float) -> None:
    r"""Move every tensor of ``theta`` against its gradient, in place.

    .. math:: \theta \leftarrow \theta - \eta\, g
    """
    torch._foreach_add_(theta, g, alpha=-eta)  # θ ← θ − η g


class GradientDescent(ForeachOptimizer):
    r"""Plain gradient descent, :math:`\theta \leftarrow \theta - \eta g`.

    Differences from ``torch.optim.SGD``: none in value or in defaults (``lr=1e-3``,
    ``weight_decay=0``); this is ``SGD(momentum=0)`` written from the lecture, without the
    options (``nesterov``, ``dampening``, ``maximize``) the course does not define.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate :math:`\eta` (>= 0); ``SGD``'s default.
        weight_decay: L2 coefficient :math:`\lambda` (>= 0): :math:`g \leftarrow g +
            \lambda\theta`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, group: dict[str, Any], theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One gradient-descent step of one parameter group (no state)."""
        g = l2_gradient(g, theta, group["weight_decay"])
        gradient_descent_step(theta, g, eta=group["lr"])
