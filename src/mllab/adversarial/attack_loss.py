r"""The attacker's loss, as the adversarial-attack lecture writes it, and its gradient.

The lecture: the network gives :math:`\hat y = f(x)`; :math:`e` is the cross-entropy. An
attack looks for :math:`x^* = \arg\min_{d(x^0, x) \le \varepsilon} L(x)` with

- **untargeted**: :math:`L(x) = -e(y, \hat y)`: move away from the true class :math:`y`;
- **targeted**: :math:`L(x) = -e(y, \hat y) + e(y^{target}, \hat y)`: away from :math:`y`
  and towards :math:`y^{target}`.

:func:`attack_loss` is :math:`L` (batch mean of the cross-entropies), to be *minimised*.

Differences from ``torchattacks``: its targeted mode minimises only
:math:`e(y^{target}, \hat y)` (``away_from_true=False`` here); with the lecture's form
the first term stays.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["attack_loss", "loss_gradient"]

Transform = Callable[[Tensor], Tensor]
"""An input transformation applied before the model (input diversity), ``x -> x'``."""


def attack_loss(logits: Tensor, y: Tensor, target: Tensor | None = None,
                away_from_true: bool = True) -> Tensor:
    r"""The lecture's :math:`L(x)`, a scalar to minimise.

    .. math:: L(x) = -e(y, \hat y) \;[+\, e(y^{target}, \hat y)]

    Args:
        logits: :math:`\hat y` before the softmax, ``(B, K)``.
        y: the true classes ``(B,)``.
        target: the target classes ``(B,)`` for a targeted attack, or None.
        away_from_true: keep :math:`-e(y, \hat y)` in a targeted attack (the lecture); False
            gives ``torchattacks``' targeted loss :math:`e(y^{target}, \hat y)`.
    """
    if target is None:
        return -F.cross_entropy(logits, y)  # L(x) = -e(y, y_hat)
    towards = F.cross_entropy(logits, target)
    return towards - F.cross_entropy(logits, y) if away_from_true else towards


def loss_gradient(model: nn.Module, x: Tensor, y: Tensor, target: Tensor | None = None,
                  away_from_true: bool = True, transform: Transform | None = None) -> Tensor:
    r""":math:`\nabla_x L(x)`, ``x``'s shape; the model's parameters get no gradient.

    ``transform`` (input diversity) is applied to ``x`` before the model, inside the graph.
    """
    x = x.detach().requires_grad_(True)
    logits = model(x if transform is None else transform(x))
    loss = attack_loss(logits, y, target, away_from_true)
    (grad,) = torch.autograd.grad(loss, x)
    return grad
