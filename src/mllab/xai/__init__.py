r"""Explainable AI: the explainable-AI lecture (homework 9).

- local explanations by gradients: :func:`saliency`, :func:`smoothgrad` (arXiv:1706.03825),
  :func:`integrated_gradients` (arXiv:1703.01365; completeness up to the quadrature);
- local explanations by a simple model: :func:`lime_tabular` and :func:`lime_image`
  (arXiv:1602.04938) over :func:`grid_segments`;
- what a hidden layer encodes: :func:`layer_outputs` and a linear :func:`train_probe`.
"""

from mllab.xai.integrated_gradients import METHODS, integrated_gradients, quadrature
from mllab.xai.lime import grid_segments, lime_image, lime_tabular, weighted_ridge
from mllab.xai.probing import Probe, layer_outputs, probe_accuracy, train_probe
from mllab.xai.saliency import class_score_gradient, saliency
from mllab.xai.smoothgrad import smoothgrad

__all__ = ["METHODS", "Probe", "class_score_gradient", "grid_segments", "integrated_gradients",
           "layer_outputs", "lime_image", "lime_tabular", "probe_accuracy", "quadrature",
           "saliency", "smoothgrad", "train_probe", "weighted_ridge"]
