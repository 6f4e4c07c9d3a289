r"""Synaptic intelligence (Life-long Learning lecture; Zenke, Poole and Ganguli,
arXiv:1703.04987, Eqs. 3-5).

While task :math:`\mu` trains, each parameter accumulates its share of the drop in loss along
the path, one optimizer step (update :math:`\Delta\theta_k(t)`) at a time:

.. math:: \omega_k^\mu \mathrel{+}= -g_k(t)\, \Delta\theta_k(t)

At the end of the task, with :math:`\Delta_k^\mu = \theta_k(t^\mu) - \theta_k(t^{\mu-1})` the
parameter's total move over the task,

.. math:: \Omega_k^\mu = \sum_{\nu<\mu} \frac{\omega_k^\nu}{(\Delta_k^\nu)^2 + \xi},
    \qquad L_\mu(\theta) = L_\mu(\theta) + c \sum_k \Omega_k^\mu (\theta_k - \tilde\theta_k)^2

Differences from the paper: :math:`g` is the gradient of the task's loss alone (the penalty
excluded), as in the authors' code; :math:`\Omega` is clamped at 0 (a negative
:math:`\omega` is possible with momentum), which the paper does not need to state.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.lifelong.quadratic_penalty import Consolidation, snapshot

__all__ = ["si", "si_importance", "si_path_update"]


def si_path_update(omega: dict[str, Tensor], g: dict[str, Tensor],
                   delta: dict[str, Tensor]) -> None:
    r""":math:`\omega_k \mathrel{+}= -g_k\,\Delta\theta_k`, in place (Eq. 3 as a sum)."""
    with torch.no_grad():
        for n in omega:
            omega[n] -= g[n] * delta[n]


def si_importance(omega: dict[str, Tensor], start: dict[str, Tensor], end: dict[str, Tensor],
                  xi: float = 0.1, previous: dict[str, Tensor] | None = None) -> dict[str, Tensor]:
    r""":math:`\Omega^{\mu+1} = \Omega^\mu + \omega^\mu / ((\Delta^\mu)^2 + \xi)` (Eq. 5),
    from the task's start and end parameters."""
    out = {}
    for n in omega:
        new = (omega[n] / ((end[n] - start[n]) ** 2 + xi)).clamp_min(0)
        out[n] = new if previous is None else previous[n] + new
    return out


def si(model: nn.Module, importance: dict[str, Tensor], c: float) -> Consolidation:
    r"""The SI penalty :math:`c\sum_k\Omega_k(\theta_k - \tilde\theta_k)^2`, anchored at
    ``model``'s parameters now (the end of the task)."""
    return Consolidation(snapshot(model), importance, c)
