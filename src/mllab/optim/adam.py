r"""Adam: RMSProp plus momentum, with bias correction.

Lecture 2 ("Adaptive learning rate") ends with the optimizer most people use: the momentum
:math:`m` (a running mean of the gradients) divided by RMSProp's running root mean square
:math:`\sqrt{v}`. Kingma and Ba, *Adam: A Method for Stochastic Optimization*,
arXiv:1412.6980, Algorithm 1, with :math:`t = 1, 2, \dots`:

.. math::
    m^t = \beta_1 m^{t-1} + (1-\beta_1) g^t, \qquad
    v^t = \beta_2 v^{t-1} + (1-\beta_2) (g^t)^2, \qquad m^0 = v^0 = 0,

.. math::
    \hat m^t = \frac{m^t}{1-\beta_1^t}, \qquad \hat v^t = \frac{v^t}{1-\beta_2^t}, \qquad
    \theta^t = \theta^{t-1} - \eta \frac{\hat m^t}{\sqrt{\hat v^t} + \epsilon}.

The bias corrections undo the zero start of :math:`m` and :math:`v`. The code takes the step
in the paper's "more efficient" order (end of its section 2), which is the same number written
with the corrections moved onto scalars:

.. math::
    \theta^t = \theta^{t-1} - \frac{\eta\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
    \frac{m^t}{\sqrt{v^t} + \epsilon\sqrt{1-\beta_2^t}},

one pass over the tensors fewer than dividing :math:`\sqrt{v^t}` by :math:`\sqrt{1-\beta_2^t}`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from mllab.config import require
from mllab.optim._foreach_optimizer import (
    ForeachOptimizer,
    check_nonnegative,
    check_unit_interval,
    l2_gradient,
    lazy_state,
    sqrt_plus_eps,
)

__all__ = ["Adam", "adam_step"]


def adam_step(theta: list[Tensor], g: list[Tensor], m: list[Tensor], v: list[Tensor],
              t: list[int], *, eta: float, beta1: float, beta2: float, eps: float,
              work: list[Tensor] | None = None) -> None:
    r"""Update the moments ``m``, ``v`` and take Adam's step, in place.

    Args:
        theta, g, m, v: parameters, gradients, first and second moments (lists, same order).
        t: each parameter's step number, counted from 1 and including this step.
        eta, beta1, beta2, eps: :math:`\eta, \beta_1, \beta_2, \epsilon`.
        work: optional buffers like ``theta``, overwritten (spares an allocation per step).
    """
    torch._foreach_lerp_(m, g, 1 - beta1)  # m ← β₁ m + (1−β₁) g
    torch._foreach_mul_(v, beta2)  # β₂ v
    torch._foreach_addcmul_(v, g, g, value=1 - beta2)  # v ← β₂ v + (1−β₂) g²
    root_bc2 = [math.sqrt(1 - beta2**ti) for ti in t]  # √(1 − β₂ᵗ)
    denom = sqrt_plus_eps(v, [eps * r for r in root_bc2], out=work)  # √v + ε √(1 − β₂ᵗ)
    step_size = [-eta * r / (1 - beta1**ti) for r, ti in zip(root_bc2, t, strict=True)]
    torch._foreach_addcdiv_(theta, m, denom, step_size)  # θ ← θ − η √(1−β₂ᵗ)/(1−β₁ᵗ) m/denom


class Adam(ForeachOptimizer):
    r"""Adam (Kingma & Ba, arXiv:1412.6980): momentum over RMSProp, with bias correction.

    State per parameter: ``"step"`` (an ``int``, :math:`t`), ``"m"`` and ``"v"`` (tensors like
    the parameter: :math:`m^t` and :math:`v^t`).
    Besides the state, one work tensor per parameter (never saved) holds the denominator, so
    that a step allocates nothing.

    Differences from ``torch.optim.Adam``: none in value (the same algorithm, with
    ``weight_decay`` the L2 kind :math:`g \leftarrow g + \lambda\theta`, not AdamW's decoupled
    decay; values agree to rounding) and none in defaults (``lr=1e-3``, ``betas=(0.9, 0.999)``,
    ``eps=1e-8``, ``weight_decay=0``). The step counter :math:`t` is a Python ``int`` per
    parameter, not a tensor; ``amsgrad``, ``maximize`` and the kernel options are not offered.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate :math:`\eta` (>= 0); torch's default.
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1).
        eps: :math:`\epsilon` (>= 0), added to :math:`\sqrt{\hat v}`.
        weight_decay: L2 coefficient :math:`\lambda` (>= 0): :math:`g \leftarrow g +
            \lambda\theta`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        require(isinstance(betas, (tuple, list)) and len(betas) == 2, "betas",
                "a pair (beta1, beta2)", betas)
        check_unit_interval("betas[0]", betas[0])
        check_unit_interval("betas[1]", betas[1])
        check_nonnegative("eps", eps)
        super().__init__(params, lr=lr, weight_decay=weight_decay, betas=tuple(betas),
                         eps=eps)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        r"""``Optimizer.load_state_dict``, with ``betas`` back to a tuple after JSON."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["betas"] = tuple(group["betas"])

    def update(self, group: dict[str, Any], theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One Adam step of one parameter group."""
        g = l2_gradient(g, theta, group["weight_decay"])
        m = lazy_state(self, theta, "m")  # m⁰ = 0
        v = lazy_state(self, theta, "v")  # v⁰ = 0
        t = []
        for p in theta:
            s = self.state[p]
            s["step"] = s.get("step", 0) + 1
            t.append(s["step"])
        beta1, beta2 = group["betas"]
        adam_step(theta, g, m, v, t, eta=group["lr"], beta1=beta1, beta2=beta2,
                  eps=group["eps"], work=self.scratch(theta))
