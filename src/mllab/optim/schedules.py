r"""Learning-rate scheduling: :math:`\eta` as a function of the step :math:`t`.

Lecture 2 ("Adaptive learning rate") ends on learning-rate scheduling: adaptive methods can
"explode" when :math:`\sigma` shrinks after a long flat stretch, and a rate that decays with
:math:`t` calms the late steps; warm-up (used by the Transformer and BERT) grows the rate first,
while the statistics behind :math:`\sigma` are still poor.

Every schedule here is a ``torch.optim.lr_scheduler.LRScheduler`` in closed form: the rate of
each param group is its base rate :math:`\eta` (the ``lr`` it had when the scheduler was made)
times a factor :math:`f(t)`, where :math:`t` = ``last_epoch`` counts the scheduler's
``step()`` calls (0 right after construction). Call ``scheduler.step()`` after
``optimizer.step()``, once per update or once per epoch (the Trainer's
``scheduler_interval``). The state (``state_dict()``) is plain numbers, so it checkpoints to
JSON.

Differences from ``torch.optim.lr_scheduler``: closed form only, so they do not chain with
other schedulers (``ChainedScheduler`` multiplies chainable forms). ``StepDecay`` and
``ExponentialDecay`` give the same rates as ``StepLR`` and ``ExponentialLR``.
"""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from mllab.config import is_int, is_real, require, require_int
from mllab.optim._foreach_optimizer import check_nonnegative

__all__ = [
    "ExponentialDecay",
    "InverseSqrtDecay",
    "StepDecay",
    "WarmupCosine",
    "WarmupInverseSqrt",
]


class _ClosedFormSchedule(LRScheduler):
    r"""A schedule :math:`\eta^t = \eta \cdot f(t)`; subclasses define :meth:`factor`."""

    def factor(self, t: int) -> float:
        r"""The multiplier :math:`f(t)` of the base rate after ``t`` scheduler steps."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        r"""Each group's rate at :math:`t` = ``last_epoch``: base rate times :math:`f(t)`."""
        f = self.factor(self.last_epoch)
        return [eta * f for eta in self.base_lrs]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()


class InverseSqrtDecay(_ClosedFormSchedule):
    r"""The decay built into the course's Adagrad, :math:`\eta^t = \eta / \sqrt{t+1}`.

    Args:
        optimizer: whose param groups' ``lr`` it sets.
        last_epoch: ``-1`` to start; other values only when restoring by hand.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return 1.0 / math.sqrt(t + 1)  # η^t = η / √(t+1)


class StepDecay(_ClosedFormSchedule):
    r"""Multiply the rate by :math:`\gamma` every ``step_size`` steps,
    :math:`\eta^t = \eta\, \gamma^{\lfloor t / s \rfloor}`.

    Args:
        optimizer: whose param groups' ``lr`` it sets.
        step_size: :math:`s`, steps between decays (an integer >= 1).
        gamma: :math:`\gamma \in (0, 1]`.
        last_epoch: ``-1`` to start.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        require_int("step_size", step_size, 1)
        require(is_real(gamma) and 0 < gamma <= 1, "gamma", "in (0, 1]", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)  # γ^⌊t/s⌋


class ExponentialDecay(_ClosedFormSchedule):
    r"""Multiply the rate by :math:`\gamma` every step, :math:`\eta^t = \eta\,\gamma^t`.

    Args:
        optimizer: whose param groups' ``lr`` it sets.
        gamma: :math:`\gamma \in (0, 1]`.
        last_epoch: ``-1`` to start.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        require(is_real(gamma) and 0 < gamma <= 1, "gamma", "in (0, 1]", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma**t  # γ^t


class WarmupInverseSqrt(_ClosedFormSchedule):
    r"""The Transformer's warm-up (Vaswani et al., arXiv:1706.03762, Eq. (3)), scaled so that
    its peak is the base rate.

    The paper sets, at step :math:`s = 1, 2, \dots` and with :math:`w` warm-up steps,

    .. math:: \mathrm{lrate}(s) = d^{-0.5} \min(s^{-0.5},\ s\, w^{-1.5}),

    a linear rise up to :math:`s = w`, where it peaks at :math:`d^{-0.5} w^{-0.5}`, then a
    decay as :math:`1/\sqrt{s}`. Dividing by the peak and multiplying by the base rate:

    .. math:: \eta^s = \eta \min\!\Big(\sqrt{w/s},\ \frac{s}{w}\Big), \qquad s = t + 1,

    so :math:`\eta^w = \eta`. The paper's own rates come from ``lr`` :math:`= (d\,w)^{-0.5}`.
    :math:`s = t + 1` numbers the update about to be taken: the first update uses
    :math:`\eta/w`.

    Args:
        optimizer: whose param groups' ``lr`` (the peak :math:`\eta`) it sets.
        warmup_steps: :math:`w` (an integer >= 1).
        last_epoch: ``-1`` to start.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, last_epoch: int = -1) -> None:
        require_int("warmup_steps", warmup_steps, 1)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        s, w = t + 1, self.warmup_steps
        return min(math.sqrt(w / s), s / w)  # min(s^-0.5, s w^-1.5) · w^0.5


class WarmupCosine(_ClosedFormSchedule):
    r"""Linear warm-up to the base rate, then a half cosine down to ``min_lr``.

    With :math:`w` warm-up steps, :math:`T` total steps and :math:`s = t + 1` the number of the
    update about to be taken (Goyal et al., arXiv:1706.02677, for the warm-up; Loshchilov and
    Hutter, arXiv:1608.03983, for the cosine):

    .. math::
        \eta^s = \begin{cases}
            \eta\, s / w & s \le w, \\
            \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
                \big(1 + \cos(\pi \frac{s - w}{T - w})\big) & w < s \le T, \\
            \eta_{\min} & s > T,
        \end{cases}

    so the rate peaks at :math:`\eta` on update :math:`w` and reaches :math:`\eta_{\min}` on
    update :math:`T`. With ``warmup_steps=0`` it is the cosine alone.

    Args:
        optimizer: whose param groups' ``lr`` (the peak :math:`\eta`) it sets.
        warmup_steps: :math:`w` (an integer >= 0).
        total_steps: :math:`T` (an integer > ``warmup_steps``).
        min_lr: :math:`\eta_{\min}` (>= 0), the same for every param group.
        last_epoch: ``-1`` to start.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, total_steps: int,
                 min_lr: float = 0.0, last_epoch: int = -1) -> None:
        require_int("warmup_steps", warmup_steps, 0)
        require(is_int(total_steps) and total_steps > warmup_steps, "total_steps",
                f"an integer > warmup_steps ({warmup_steps})", total_steps)
        check_nonnegative("min_lr", min_lr)
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        r"""Each group's rate at :math:`t` = ``last_epoch`` (see the class docstring)."""
        s, w, T = self.last_epoch + 1, self.warmup_steps, self.total_steps
        if s <= w:
            return [eta * s / w for eta in self.base_lrs]  # η s / w
        progress = min(s - w, T - w) / (T - w)  # (s − w)/(T − w), held at 1 after T
        c = 0.5 * (1 + math.cos(math.pi * progress))  # ½(1 + cos(π(s − w)/(T − w)))
        return [self.min_lr + (eta - self.min_lr) * c for eta in self.base_lrs]
