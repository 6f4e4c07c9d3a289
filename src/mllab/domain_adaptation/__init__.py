r"""Domain adaptation: the domain-adaptation lecture (domain adversarial training).

- :func:`grad_reverse` / :class:`GradientReversal`: identity forward, :math:`-\lambda` times
  the gradient backward (arXiv:1505.07818, Eqs. 14-15);
- :class:`DANN` (feature extractor, label predictor, domain classifier behind the reversal)
  with :func:`dann_lambda`, the paper's schedule :math:`2 / (1 + e^{-10 p}) - 1`;
- :func:`prediction_entropy`: "predictions on the target should be concentrated";
- :class:`DANNState` and :func:`dann_step` for the general loop.
"""

from mllab.domain_adaptation.dann import DANN, DANNConfig, dann_lambda
from mllab.domain_adaptation.dann_step import DANNState, DANNStepConfig, dann_step
from mllab.domain_adaptation.entropy import prediction_entropy
from mllab.domain_adaptation.gradient_reversal import GradientReversal, grad_reverse

__all__ = ["DANN", "DANNConfig", "DANNState", "DANNStepConfig", "GradientReversal",
           "dann_lambda", "dann_step", "grad_reverse", "prediction_entropy"]
