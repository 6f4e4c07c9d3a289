r"""Adagrad: a learning rate per parameter, divided by the root mean square of its gradients.

Lecture 2 ("Adaptive learning rate") gives every parameter :math:`\theta_i` its own step,

.. math::
    \theta_i^{t+1} = \theta_i^t - \frac{\eta^t}{\sigma_i^t}\, g_i^t, \qquad
    \eta^t = \frac{\eta}{\sqrt{t+1}}, \qquad
    \sigma_i^t = \sqrt{\frac{1}{t+1} \sum_{j=0}^{t} (g_i^j)^2},

large where the surface has been steep, small where it has been flat. The two
:math:`\sqrt{t+1}` cancel,

.. math:: \frac{\eta^t}{\sigma_i^t} = \frac{\eta}{\sqrt{\sum_{j=0}^{t} (g_i^j)^2}},

so the implementation keeps only the running sum of squares and needs no step counter.
(Duchi, Hazan and Singer, *Adaptive Subgradient Methods*, JMLR 2011.)

Where :math:`\epsilon` sits: it is added to the root of the sum, :math:`\theta_i \leftarrow
\theta_i - \eta\, g_i / (\sqrt{\sum_j (g_i^j)^2} + \epsilon)`, as ``torch.optim.Adagrad``
does; in the course's terms that is :math:`\eta^t / (\sigma_i^t + \epsilon/\sqrt{t+1})`. It
only matters while a parameter's gradients have all been (nearly) zero. A learning-rate
scheduler changes :math:`\eta`, on top of the built-in :math:`1/\sqrt{t+1}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from mllab.optim._foreach_optimizer import (
    ForeachOptimizer,
    check_nonnegative,
    l2_gradient,
    lazy_state,
    sqrt_plus_eps,
)

__all__ = ["Adagrad", "adagrad_step"]


def adagrad_step(theta: list[Tensor], g: list[Tensor], sum_sq: list[Tensor], *, eta: float,
                 eps: float, work: list[Tensor] | None = None) -> None:
    r"""Accumulate the squared gradients and take Adagrad's step, in place.

    .. math::
        S_i \leftarrow S_i + g_i^2, \qquad
        \theta_i \leftarrow \theta_i - \frac{\eta}{\sqrt{S_i} + \epsilon}\, g_i

    where :math:`S_i^t = \sum_{j=0}^t (g_i^j)^2 = (t+1)(\sigma_i^t)^2`. ``work``: optional
    buffers like ``theta``, overwritten (spares an allocation per step).
    """
    torch._foreach_addcmul_(sum_sq, g, g)  # S ← S + g²
    root = sqrt_plus_eps(sum_sq, eps, out=work)  # √S + ε = √(t+1) σ + ε
    torch._foreach_addcdiv_(theta, g, root, value=-eta)  # θ ← θ − η g / (√S + ε)


class Adagrad(ForeachOptimizer):
    r"""Adagrad as the course writes it, :math:`\theta_i \leftarrow \theta_i -
    (\eta^t/\sigma_i^t)\, g_i` with :math:`\eta^t = \eta/\sqrt{t+1}`.

    State per parameter: ``"sum_sq"``, :math:`\sum_{j \le t} (g_i^j)^2` (a tensor like the
    parameter).
    Besides the state, one work tensor per parameter (never saved) holds the denominator, so
    that a step allocates nothing.

    Differences from ``torch.optim.Adagrad``: none in value for torch's ``lr_decay=0`` and
    ``initial_accumulator_value=0`` (the course has no such options), and none in defaults
    (``lr=1e-2``, ``eps=1e-10``, ``weight_decay=0``). The state entry is ``"sum_sq"`` where
    torch's is ``"sum"``, and there is no step counter.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate :math:`\eta` (>= 0); torch's default.
        eps: :math:`\epsilon` (>= 0), added to :math:`\sqrt{\sum_j (g_i^j)^2}`.
        weight_decay: L2 coefficient :math:`\lambda` (>= 0): :math:`g \leftarrow g +
            \lambda\theta`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        check_nonnegative("eps", eps)
        super().__init__(params, lr=lr, weight_decay=weight_decay, eps=eps)

    def update(self, group: dict[str, Any], theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One Adagrad step of one parameter group."""
        g = l2_gradient(g, theta, group["weight_decay"])
        sum_sq = lazy_state(self, theta, "sum_sq")
        adagrad_step(theta, g, sum_sq, eta=group["lr"], eps=group["eps"],
                     work=self.scratch(theta))
