r"""Gradient descent with momentum, as Lecture 2 ("Batch and momentum") writes it.

The movement :math:`m` is the last movement minus the current gradient:

.. math::
    m^0 = 0, \qquad m^{t+1} = \lambda m^t - \eta\, g^t, \qquad
    \theta^{t+1} = \theta^t + m^{t+1}

so that :math:`m^t` is a weighted sum of all past gradients,
:math:`m^t = -\eta \sum_{j<t} \lambda^{t-1-j} g^j` (for a constant :math:`\eta`). Momentum can
carry the parameters across a critical point where :math:`g = 0`.

Implementation: :math:`m` is kept as a scalar times a tensor, :math:`m = s\,u`, which makes the
update two passes over memory instead of the three that ``torch.optim.SGD`` takes (see
:func:`momentum_step`); the values are the course's to rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from mllab.optim._foreach_optimizer import (
    ForeachOptimizer,
    check_unit_interval,
    l2_gradient,
    lazy_state,
)

__all__ = ["Momentum", "momentum_step"]


def momentum_step(theta: list[Tensor], g: list[Tensor], u: list[Tensor], s: list[float], *,
                  eta: float, lam: float) -> list[float]:
    r"""Update the movements and the parameters in place; return the new scales.

    The movement of each tensor is stored as :math:`m = s\,u`, a scalar :math:`s` times a
    tensor :math:`u` (a weighted mean of the past gradients), so that the course's update

    .. math::
        m \leftarrow \lambda m - \eta\, g, \qquad \theta \leftarrow \theta + m

    takes one pass over :math:`u` and one over :math:`\theta` (two multi-tensor calls)
    instead of three: with :math:`s' = \lambda s - \eta` and :math:`w = -\eta / s'`,

    .. math::
        \lambda s u - \eta g = s' \big((1-w)\, u + w\, g\big) = s' \operatorname{lerp}(u, g, w).

    :math:`s \le 0` always, and :math:`s' = 0` only when :math:`\eta = 0` and
    :math:`\lambda s = 0`, where :math:`m' = 0` whatever :math:`u` is (then :math:`w = 1`).
    Under a constant :math:`\eta`, :math:`s \to -\eta/(1-\lambda)` and :math:`u` is the
    exponential moving average of the gradients with weight :math:`1-\lambda`.

    Args:
        theta, g, u: parameters, gradients, gradient averages (lists, same order).
        s: each tensor's scale :math:`s` (0 before the first step, where :math:`m^0 = 0`).
        eta, lam: :math:`\eta` and :math:`\lambda`.
    """
    s_new = [lam * si - eta for si in s]  # s' = λ s − η
    w = [-eta / sn if sn else 1.0 for sn in s_new]  # w = −η / s'
    torch._foreach_lerp_(u, g, w)  # u ← (1 − w) u + w g, so s' u = λ m − η g
    if all(sn == s_new[0] for sn in s_new):
        torch._foreach_add_(theta, u, alpha=s_new[0])  # θ ← θ + s' u = θ + m
    else:  # tensors that missed steps (no gradient) have their own scale
        for p, ui, sn in zip(theta, u, s_new, strict=True):
            p.add_(ui, alpha=sn)
    return s_new


class Momentum(ForeachOptimizer):
    r"""Gradient descent with momentum in the course's form, :math:`m \leftarrow \lambda m -
    \eta g`, :math:`\theta \leftarrow \theta + m`.

    State per parameter: ``"u"`` (a tensor like the parameter) and ``"s"`` (a ``float``), the
    last movement being :math:`m^t = s\,u` (see :func:`momentum_step`); :meth:`movement`
    returns it.

    Differences from ``torch.optim.SGD(momentum=λ)``, in the update: torch keeps the sum of
    gradients without the learning rate, :math:`v \leftarrow \lambda v + g`, and steps
    :math:`\theta \leftarrow \theta - \eta v`. While :math:`\eta` stays constant
    :math:`m = -\eta v` and the two are the same algorithm. When :math:`\eta` changes (a
    schedule), the course's :math:`m` keeps the movements made with the old rates while torch
    rescales all past gradients by the new one: at a step where the rate goes from
    :math:`\eta_1` to :math:`\eta_2`, the course's update is :math:`-\lambda\eta_1 v -
    \eta_2 g`, torch's is :math:`-\lambda\eta_2 v - \eta_2 g`, a difference (course minus
    torch) of :math:`\lambda(\eta_2 - \eta_1) v`. In the defaults: ``momentum=0.9`` where
    ``SGD``'s is 0 (plain gradient descent is :class:`GradientDescent`); ``lr=1e-3`` and
    ``weight_decay=0`` are ``SGD``'s. Torch's ``dampening`` and ``nesterov`` are not offered.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate :math:`\eta` (>= 0); ``SGD``'s default.
        momentum: :math:`\lambda \in [0, 1)`, the weight of the last movement.
        weight_decay: L2 coefficient (>= 0): :math:`g \leftarrow g + \lambda_2\theta`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        check_unit_interval("momentum", momentum)
        super().__init__(params, lr=lr, weight_decay=weight_decay, momentum=momentum)

    def update(self, group: dict[str, Any], theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One momentum step of one parameter group."""
        g = l2_gradient(g, theta, group["weight_decay"])
        u = lazy_state(self, theta, "u")
        states = [self.state[p] for p in theta]
        s = [st.setdefault("s", 0.0) for st in states]  # m⁰ = 0 · u = 0
        s = momentum_step(theta, g, u, s, eta=group["lr"], lam=group["momentum"])
        for st, si in zip(states, s, strict=True):
            st["s"] = si

    def movement(self, p: Tensor) -> Tensor:
        r"""The last movement :math:`m^t = s\,u` of parameter ``p`` (zeros before its first
        step)."""
        st = self.state.get(p, {})
        return st["s"] * st["u"] if "u" in st else torch.zeros_like(p)
