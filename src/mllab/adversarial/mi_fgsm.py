r"""Momentum iterative FGSM (MI-FGSM), the homework's stronger attack.

Dong et al., arXiv:1710.06081, Algorithm 1: the gradient, normalised by its mean absolute
value per example, accumulates in a momentum :math:`g` with decay :math:`\mu`, and the step
follows the momentum's sign:

.. math:: g_{t+1} = \mu\, g_t + \frac{\nabla_x L(x_t)}{\lVert \nabla_x L(x_t) \rVert_1 / n},
          \qquad x_{t+1} = \operatorname{fix}\big(x_t - \alpha \operatorname{sign}(g_{t+1})\big)

(the paper divides by the :math:`L_1` norm; the mean, as in ``torchattacks.MIFGSM``, differs
by the constant :math:`n`, which the sign ignores but the momentum does not: the same up to
scale). With ``transform`` = :func:`~mllab.adversarial.random_resize_pad` applied before the
model it is DI-MI-FGSM (Xie et al., arXiv:1803.06978), the input-diversity attack.

Differences from the paper: the lecture's :math:`L` is minimised, so the steps subtract.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.adversarial.attack_loss import Transform, loss_gradient
from mllab.adversarial.pgd import project
from mllab.config import is_real, require, require_int

__all__ = ["mi_fgsm", "normalise_l1"]


def normalise_l1(grad: Tensor) -> Tensor:
    r""":math:`\nabla / \operatorname{mean}|\nabla|` per example (over all but the batch
    dimension)."""
    dims = tuple(range(1, grad.dim()))
    return grad / grad.abs().mean(dim=dims, keepdim=True)


def mi_fgsm(model: nn.Module, x0: Tensor, y: Tensor, eps: float, alpha: float, steps: int, *,
            decay: float = 1.0, target: Tensor | None = None, away_from_true: bool = True,
            transform: Transform | None = None,
            pixel_range: tuple[float, float] = (0.0, 1.0)) -> Tensor:
    r"""MI-FGSM's adversarial example inside the :math:`L_\infty` ball, detached.

    ``decay`` is :math:`\mu` (0 gives iterative FGSM); ``transform`` is applied before the
    model at each step (input diversity, drawn afresh each call).
    """
    require(is_real(eps) and eps >= 0, "eps", "a number >= 0", eps)
    require(is_real(alpha) and alpha > 0, "alpha", "a number > 0", alpha)
    require(is_real(decay) and decay >= 0, "decay", "a number >= 0", decay)
    require_int("steps", steps, 1)
    x0 = x0.detach()
    x, g = x0.clone(), torch.zeros_like(x0)
    for _ in range(steps):
        grad = loss_gradient(model, x, y, target, away_from_true, transform)
        g = decay * g + normalise_l1(grad)  # g_{t+1} = mu g_t + grad / ||grad||_1
        x = project(x - alpha * g.sign(), x0, eps, "inf", pixel_range).detach()
    return x
