r"""Adagrad with a constant learning rate, as the 2021 lecture "Adaptive learning rate" writes it.

:class:`mllab.optim.Adagrad` follows the earlier edition, whose :math:`\eta^t = \eta/\sqrt{t+1}`
is built in (and equals ``torch.optim.Adagrad``); the 2021 lecture divides a constant
:math:`\eta` by the root mean square of the past gradients, and shows the "bursts" that this
form makes once the gradient has become small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

from mllab.optim.adagrad import Adagrad, adagrad_step

__all__ = ["ConstantRateAdagrad"]


class ConstantRateAdagrad(Adagrad):
    r"""Adagrad as the 2021 lecture writes it, with a constant :math:`\eta`:

    .. math:: \theta_i^{t+1} = \theta_i^t - \frac{\eta}{\sigma_i^t} g_i^t, \qquad
        \sigma_i^t = \sqrt{\tfrac{1}{t+1} \textstyle\sum_{j=0}^{t} (g_i^j)^2}.

    :class:`mllab.optim.Adagrad` has :math:`\eta^t = \eta/\sqrt{t+1}` built in; this class
    passes :math:`\eta\sqrt{t+1}` to :func:`mllab.optim.adagrad_step` to undo it, since
    :math:`\eta\sqrt{t+1}/\sqrt{\sum_j (g_i^j)^2} = \eta/\sigma_i^t`. A schedule multiplies
    :math:`\eta`; :class:`mllab.optim.InverseSqrtDecay` gives back :class:`Adagrad` exactly.
    :math:`\epsilon` sits where ``Adagrad`` puts it (:math:`\eta/(\sigma + \epsilon/\sqrt{t+1})`).

    State per parameter: ``"sum_sq"`` (a tensor) and ``"t"``, the updates so far (an int).

    Differences from ``torch.optim.Adagrad``: torch (like :class:`Adagrad`) steps
    :math:`\eta/\sqrt{\sum_j (g_i^j)^2}`, this class :math:`\sqrt{t+1}` times more; torch has
    no counterpart. The defaults are :class:`Adagrad`'s (``lr=1e-2``, ``eps=1e-10``), and there
    is no ``weight_decay``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: the constant learning rate :math:`\eta` (>= 0).
        eps: :math:`\epsilon` (>= 0), where :class:`Adagrad` adds it.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, eps: float = 1e-10) -> None:
        super().__init__(params, lr=lr, eps=eps)

    def update(self, group: dict, theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One step of one parameter group, :math:`\theta \leftarrow \theta - \eta g/\sigma`."""
        states = [self.state[p] for p in theta]
        for p, state in zip(theta, states, strict=True):
            if not state:
                state["sum_sq"], state["t"] = torch.zeros_like(p), 0
        t = states[0]["t"]
        adagrad_step(theta, g, [s["sum_sq"] for s in states], eta=group["lr"] * math.sqrt(t + 1),
                     eps=group["eps"])  # η √(t+1) / √Σg² = η / σ
        for state in states:
            state["t"] += 1
