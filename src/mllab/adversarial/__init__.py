r"""Adversarial attacks and defences: the adversarial-attack lecture (homework 10).

- the attacker's loss :func:`attack_loss` (untargeted :math:`L(x) = -e(y, \hat y)`, targeted
  :math:`-e(y, \hat y) + e(y^{target}, \hat y)`) and its gradient :func:`loss_gradient`;
- white-box attacks: :func:`fgsm`, iterative FGSM / :func:`pgd` in :math:`L_\infty` and
  :math:`L_2` balls (:func:`project_linf`, :func:`project_l2`), :func:`mi_fgsm` with
  momentum, input diversity by :func:`random_resize_pad`;
- black-box attacks by transfer from an :class:`Ensemble` of proxy models;
- passive defences: :func:`mean_smoothing`, :func:`quantise`, :func:`random_resize_pad`;
  the proactive one, adversarial training: :func:`adversarial_training_step` (PGD inside the
  step) on the general loop; the adaptive attacker's :func:`bpda` through a defence without a
  useful gradient.
"""

from mllab.adversarial.adversarial_training import (
    AdversarialConfig,
    AdversarialState,
    adversarial_training_step,
)
from mllab.adversarial.attack_loss import attack_loss, loss_gradient
from mllab.adversarial.bpda import bpda
from mllab.adversarial.ensemble import Ensemble
from mllab.adversarial.fgsm import fgsm
from mllab.adversarial.input_quantisation import quantise
from mllab.adversarial.input_smoothing import mean_smoothing
from mllab.adversarial.mi_fgsm import mi_fgsm, normalise_l1
from mllab.adversarial.pgd import (
    L2_DIVISION_EPS,
    NORMS,
    pgd,
    project,
    project_l2,
    project_linf,
    random_start,
    step_direction,
)
from mllab.adversarial.random_resize_pad import random_resize_pad

__all__ = [
    "L2_DIVISION_EPS", "NORMS", "AdversarialConfig", "AdversarialState", "Ensemble",
    "adversarial_training_step", "attack_loss", "bpda", "fgsm", "loss_gradient",
    "mean_smoothing", "mi_fgsm", "normalise_l1", "pgd", "project", "project_l2",
    "project_linf", "quantise", "random_resize_pad", "random_start", "step_direction",
]
