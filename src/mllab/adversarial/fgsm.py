r"""The fast gradient sign method (FGSM): one signed gradient step.

The lecture: :math:`x^* = x^0 - \varepsilon\,\Delta x` with
:math:`\Delta x = \operatorname{sign}(\nabla_x L(x^0))`; every pixel moves by exactly
:math:`\varepsilon`, so :math:`x^*` lies on the corner of the :math:`L_\infty` ball. Goodfellow
et al., arXiv:1412.6572, Eq. (3) (there written as ascent on the cost :math:`J = -L`).

Pixels are clipped to the valid range ``[lo, hi]`` afterwards (as ``torchattacks.FGSM``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.adversarial.attack_loss import loss_gradient
from mllab.config import is_real, require

__all__ = ["fgsm"]


def fgsm(model: nn.Module, x0: Tensor, y: Tensor, eps: float, *, target: Tensor | None = None,
         away_from_true: bool = True, pixel_range: tuple[float, float] = (0.0, 1.0)) -> Tensor:
    r"""FGSM's adversarial example, ``x0``'s shape, detached.

    .. math:: x^* = \operatorname{clip}_{[lo, hi]}\big(x^0 - \varepsilon\,
              \operatorname{sign}(\nabla_x L(x^0))\big)

    ``target``/``away_from_true`` choose the loss (:func:`~mllab.adversarial.attack_loss`).
    """
    require(is_real(eps) and eps >= 0, "eps", "a number >= 0", eps)
    grad = loss_gradient(model, x0, y, target, away_from_true)
    x = x0.detach() - eps * grad.sign()  # x* = x0 - eps * sign(grad L)
    return torch.clamp(x, *pixel_range).detach()
