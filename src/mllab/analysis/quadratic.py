r"""Gradient descent on a quadratic loss, in closed form (Lecture "Adaptive learning rate").

On :math:`L(\theta) = L^* + \frac12 (\theta - \theta^*)^\top H (\theta - \theta^*)`,
gradient descent with a fixed :math:`\eta` multiplies each eigen-direction's distance to the
optimum by :math:`1 - \eta\lambda_k` per update: it converges for :math:`\eta < 2/\lambda_{max}`
and crawls along directions of small :math:`\lambda_k`, so the condition number
:math:`\lambda_{max}/\lambda_{min}` decides how many updates it needs. The lecture draws this
as an elongated bowl (:func:`elongated_bowl`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def elongated_bowl(theta: Tensor, *, lam: tuple[float, float]) -> Tensor:
    r""":math:`L(\theta) = \frac12(\lambda_1\theta_1^2 + \lambda_2\theta_2^2)` for
    ``theta`` of shape (..., 2); the minimum is :math:`\theta^* = 0` and the Hessian is
    :math:`\mathrm{diag}(\lambda_1, \lambda_2)`."""
    return 0.5 * (lam[0] * theta[..., 0].square() + lam[1] * theta[..., 1].square())


def gd_excess_loss(h: Tensor, delta0: Tensor, eta: float, t: int) -> float:
    r"""Closed form of :math:`L(\theta^t) - L^*` for gradient descent on a quadratic.

    With :math:`H = V \mathrm{diag}(\lambda_k) V^\top` and :math:`c = V^\top(\theta^0 -
    \theta^*)`, :math:`\theta^t - \theta^* = (I - \eta H)^t(\theta^0 - \theta^*)`, so

    .. math:: L(\theta^t) - L^* = \tfrac12 \sum_k \lambda_k (1 - \eta\lambda_k)^{2t} c_k^2.
    """
    lam, v = torch.linalg.eigh(h)
    c = v.T @ delta0
    return (0.5 * lam * (1 - eta * lam).pow(2 * t) * c.square()).sum().item()


def updates_to_reach(excess: Callable[[int], float], target: float) -> int:
    r"""The least :math:`t` with ``excess(t) <= target``, for an ``excess`` that does not
    increase with :math:`t` (doubling, then bisection)."""
    if excess(0) <= target:
        return 0
    hi = 1
    while excess(hi) > target:
        hi *= 2
    lo = hi // 2  # excess(lo) > target (or lo = 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if excess(mid) <= target:
            hi = mid
        else:
            lo = mid
    return hi
