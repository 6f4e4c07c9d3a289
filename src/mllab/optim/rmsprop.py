r"""RMSProp: a running root mean square that forgets old gradients.

Lecture 2 ("Adaptive learning rate"): Adagrad weighs every past gradient alike, so it reacts
slowly when the surface changes. RMSProp weighs the newest gradient by :math:`1-\alpha`:

.. math::
    \sigma_i^0 = |g_i^0|, \qquad
    \sigma_i^t = \sqrt{\alpha (\sigma_i^{t-1})^2 + (1-\alpha)(g_i^t)^2}, \qquad
    \theta_i^{t+1} = \theta_i^t - \frac{\eta}{\sigma_i^t}\, g_i^t

(Hinton, *Neural Networks for Machine Learning*, lecture 6e, 2012.)

The first step is therefore :math:`\theta_i^1 = \theta_i^0 - \eta\,\mathrm{sign}(g_i^0)`. The
state holds :math:`(\sigma_i^t)^2`; it starts at :math:`(g_i^0)^2`, where the recurrence is a
fixed point (:math:`\alpha g^2 + (1-\alpha) g^2 = g^2`), so one code path gives
:math:`\sigma_i^0 = |g_i^0|` and every later :math:`\sigma_i^t`. :math:`\epsilon` is added to
:math:`\sigma_i^t`, as ``torch.optim.RMSprop`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from mllab.optim._foreach_optimizer import (
    ForeachOptimizer,
    check_nonnegative,
    check_unit_interval,
    l2_gradient,
    lazy_state,
    sqrt_plus_eps,
)

__all__ = ["RMSProp", "rmsprop_step"]


def rmsprop_step(theta: list[Tensor], g: list[Tensor], sigma_sq: list[Tensor], *, eta: float,
                 alpha: float, eps: float, work: list[Tensor] | None = None) -> None:
    r"""Update the mean squares ``sigma_sq`` and take RMSProp's step, in place.

    .. math::
        (\sigma_i^t)^2 = \alpha (\sigma_i^{t-1})^2 + (1-\alpha)(g_i^t)^2, \qquad
        \theta_i \leftarrow \theta_i - \frac{\eta}{\sigma_i^t + \epsilon}\, g_i^t

    ``work``: optional buffers like ``theta``, overwritten (spares an allocation per step).
    """
    torch._foreach_mul_(sigma_sq, alpha)  # α σ²
    torch._foreach_addcmul_(sigma_sq, g, g, value=1 - alpha)  # σ² ← α σ² + (1−α) g²
    sigma = sqrt_plus_eps(sigma_sq, eps, out=work)  # σ + ε
    torch._foreach_addcdiv_(theta, g, sigma, value=-eta)  # θ ← θ − η g / (σ + ε)


class RMSProp(ForeachOptimizer):
    r"""RMSProp as the course writes it, starting from :math:`\sigma_i^0 = |g_i^0|`.

    State per parameter: ``"sigma_sq"``, :math:`(\sigma_i^t)^2` (a tensor like the parameter).
    Besides the state, one work tensor per parameter (never saved) holds the denominator, so
    that a step allocates nothing.

    Differences from ``torch.optim.RMSprop``, in the update: torch starts the average from
    zero, :math:`(\sigma_i^{-1})^2 = 0`, so its first step is
    :math:`\eta\,\mathrm{sign}(g_i^0)/\sqrt{1-\alpha}` (3.16 η for α = 0.9) instead of
    :math:`\eta\,\mathrm{sign}(g_i^0)`, and its later steps differ while the zero start fades
    (by a factor :math:`\alpha^t`). In the defaults: ``alpha=0.9`` (Hinton's lecture, and the
    course's) where torch's is 0.99; ``lr=1e-2``, ``eps=1e-8`` and ``weight_decay=0`` are
    torch's. Torch's ``momentum`` and ``centered`` options are not offered.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate :math:`\eta` (>= 0); torch's default.
        alpha: :math:`\alpha \in [0, 1)`, the weight of the past mean square.
        eps: :math:`\epsilon` (>= 0), added to :math:`\sigma`.
        weight_decay: L2 coefficient :math:`\lambda` (>= 0): :math:`g \leftarrow g +
            \lambda\theta`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.9, eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        check_unit_interval("alpha", alpha)
        check_nonnegative("eps", eps)
        super().__init__(params, lr=lr, weight_decay=weight_decay, alpha=alpha, eps=eps)

    def update(self, group: dict[str, Any], theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One RMSProp step of one parameter group."""
        g = l2_gradient(g, theta, group["weight_decay"])
        sigma_sq = lazy_state(self, theta, "sigma_sq", init=lambda i: g[i] * g[i])  # (g⁰)²
        rmsprop_step(theta, g, sigma_sq, eta=group["lr"], alpha=group["alpha"],
                     eps=group["eps"], work=self.scratch(theta))
