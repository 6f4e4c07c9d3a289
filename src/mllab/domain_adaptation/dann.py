r"""The domain-adversarial neural network (DANN) of Ganin et al., arXiv:1505.07818.

Three parts (the paper's Figure 1): a feature extractor :math:`G_f(x; \theta_f)`, a label
predictor :math:`G_y(f; \theta_y)` trained on labelled source examples, and a domain
classifier :math:`G_d(f; \theta_d)` behind a gradient reversal layer, telling source
(:math:`d = 0`) from target (:math:`d = 1`). Training finds the saddle point of Eq. (10):

.. math:: E(\theta_f, \theta_y, \theta_d) = \frac{1}{n}\sum_{i=1}^n L_y^i(\theta_f, \theta_y)
          - \lambda \Big(\frac{1}{n}\sum_{i=1}^n L_d^i + \frac{1}{n'}\sum_{i=n+1}^{N} L_d^i
          \Big)(\theta_f, \theta_d)

which plain gradient descent reaches with the reversal layer. :math:`\lambda` grows from 0 to
1 with the training progress :math:`p \in [0, 1]` (Section 5.2.2):
:math:`\lambda_p = \frac{2}{1 + \exp(-\gamma p)} - 1`, :math:`\gamma = 10`
(:func:`dann_lambda`).

Differences from the paper: the parts are MLPs (the paper's digits networks are CNNs); any
extractor fits :class:`DANN` through ``extractor=``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor, nn

from mllab.config import is_real, require, require_int
from mllab.domain_adaptation.gradient_reversal import GradientReversal

__all__ = ["DANN", "DANNConfig", "dann_lambda"]


def dann_lambda(p: float, gamma: float = 10.0) -> float:
    r""":math:`\lambda_p = 2 / (1 + \exp(-\gamma p)) - 1` at training progress ``p``."""
    require(is_real(p) and 0 <= p <= 1, "p", "a number in [0, 1]", p)
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0  # Section 5.2.2


@dataclass
class DANNConfig:
    r"""The sizes of a :class:`DANN` of MLPs; validated."""

    in_features: int = 64
    """Numbers per input (>= 1), e.g. 64 for flattened 8×8 digits."""
    features: int = 32
    """The extractor's output size (>= 1)."""
    hidden: int = 64
    """Hidden units of each part (>= 1)."""
    classes: int = 10
    """Classes of the label predictor (>= 2)."""

    def __post_init__(self) -> None:
        require_int("in_features", self.in_features, 1)
        require_int("features", self.features, 1)
        require_int("hidden", self.hidden, 1)
        require_int("classes", self.classes, 2)


def _mlp(i: int, h: int, o: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class DANN(nn.Module):
    r"""Feature extractor, label predictor and domain classifier (behind :math:`R_\lambda`).

    ``forward(x)`` gives ``(class_logits (B, K), domain_logits (B,))``; set
    ``grl.lambda_`` (:func:`dann_lambda`) as training proceeds.
    """

    def __init__(self, config: DANNConfig, extractor: nn.Module | None = None) -> None:
        super().__init__()
        c = config
        self.extractor = extractor or nn.Sequential(nn.Flatten(), _mlp(c.in_features, c.hidden,
                                                                       c.features), nn.ReLU())
        self.label_predictor = _mlp(c.features, c.hidden, c.classes)
        self.grl = GradientReversal(0.0)
        self.domain_classifier = _mlp(c.features, c.hidden, 1)

    def features(self, x: Tensor) -> Tensor:
        return self.extractor(x)  # (B, features)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = self.features(x)
        return self.label_predictor(f), self.domain_classifier(self.grl(f)).squeeze(1)
