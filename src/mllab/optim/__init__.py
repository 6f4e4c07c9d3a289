r"""The course's optimizers and learning-rate schedules (``torch.optim`` API).

Optimizers (``torch.optim.Optimizer`` subclasses, multi-tensor updates):

- :class:`GradientDescent`: :math:`\theta \leftarrow \theta - \eta g`;
- :class:`Momentum`: :math:`m \leftarrow \lambda m - \eta g,\ \theta \leftarrow \theta + m`
  (the course's form; differs from ``torch.optim.SGD`` when :math:`\eta` changes);
- :class:`Adagrad`: :math:`\theta_i \leftarrow \theta_i - (\eta^t/\sigma_i^t) g_i` with the
  root mean square of all past gradients; :class:`ConstantRateAdagrad`: the 2021 lecture's
  form with a constant :math:`\eta`;
- :class:`RMSProp`: the same with a running mean square, starting at :math:`\sigma^0 = |g^0|`
  (torch starts from zero);
- :class:`Adam`: RMSProp plus momentum, with bias correction (equal to ``torch.optim.Adam``).

All take ``weight_decay`` (L2: :math:`g \leftarrow g + \lambda\theta`), and ``lr`` defaults to
torch's value for the same method (``Adam``: 1e-3, as ``torch.optim.Adam``; ``GradientDescent``
and ``Momentum``: 1e-3, as ``SGD``; ``Adagrad`` and ``RMSProp``: 1e-2); each class's
"Differences from torch.optim" paragraph names the defaults and update forms that differ.
The update functions (:func:`gradient_descent_step`, ...) are the math on lists of tensors.

Schedules (``torch.optim.lr_scheduler.LRScheduler`` subclasses): :class:`InverseSqrtDecay`,
:class:`StepDecay`, :class:`ExponentialDecay`, :class:`WarmupInverseSqrt` (the Transformer's),
:class:`WarmupCosine`.
"""

from mllab.optim.adagrad import Adagrad, adagrad_step
from mllab.optim.adam import Adam, adam_step
from mllab.optim.constant_rate_adagrad import ConstantRateAdagrad
from mllab.optim.gradient_descent import GradientDescent, gradient_descent_step
from mllab.optim.momentum import Momentum, momentum_step
from mllab.optim.rmsprop import RMSProp, rmsprop_step
from mllab.optim.schedules import (
    ExponentialDecay,
    InverseSqrtDecay,
    StepDecay,
    WarmupCosine,
    WarmupInverseSqrt,
)

__all__ = [
    "Adagrad", "Adam", "ConstantRateAdagrad", "ExponentialDecay", "GradientDescent",
    "InverseSqrtDecay", "Momentum", "RMSProp", "StepDecay", "WarmupCosine", "WarmupInverseSqrt",
    "adagrad_step", "adam_step", "gradient_descent_step", "momentum_step", "rmsprop_step",
]
