r"""Analysis of the loss around the parameters: critical points, error surfaces, sharpness.

For the lecture "When gradient is small: local minimum and saddle point" and the batch-size
lecture (sharp and flat minima):

- :func:`gradient_and_hessian`, :func:`hvp`, :func:`hvp_operator`: :math:`g` and :math:`H` of
  the loss with respect to all parameters, flattened (:func:`flat_params`,
  :func:`set_flat_params`, :func:`model_loss_fn`);
- :func:`classify_critical_point` (:class:`CriticalPoint`): local minimum, local maximum or
  saddle point from the eigenvalues of :math:`H`, and the homework's minimum ratio;
  :func:`escape_direction`, :func:`escape_step`: leave a saddle point along an eigenvector of a
  negative eigenvalue;
- :func:`lanczos_extremes`, :func:`hessian_extremes`: extreme eigenvalues from matrix-vector
  products only;
- :func:`filter_normalized_direction`, :func:`loss_along_line`, :func:`loss_on_plane`: error
  surfaces (Li et al. 2018, arXiv:1712.09913);
- :func:`top_hessian_eigenvalue`, :func:`epsilon_sharpness`: sharpness (Keskar et al. 2017,
  arXiv:1609.04836);
- :func:`minimize_gradient_norm`: search for critical points of every kind by minimizing
  :math:`\lVert g \rVert^2` (of any loss of :math:`\theta`; a model's is
  :func:`model_loss_fn`);
- :func:`least_squares`, :func:`mse_hessian`, :func:`design_matrix`, :func:`linear_mse`:
  linear regression in closed form;
- :func:`elongated_bowl`, :func:`gd_excess_loss`, :func:`updates_to_reach`: gradient descent on
  a quadratic in closed form; :func:`bowl_with_bump`, :func:`curve_critical_points`: a 1-D
  curve with a local minimum before a deeper one;
- :func:`regions_on_line` (exact, from the activation patterns), :func:`breakpoints_on_line`,
  :func:`regions_on_grid`, :func:`activation_patterns`: the linear regions of a ReLU network.

Every function that takes a model refuses one whose batch normalization or dropout is in
training mode (``ValueError``: call ``model.eval()``), since its loss would then change from
one evaluation to the next.
"""

from mllab.analysis.critical_point import (
    KINDS,
    CriticalPoint,
    classify_critical_point,
    escape_direction,
    escape_step,
)
from mllab.analysis.critical_point_search import minimize_gradient_norm
from mllab.analysis.hessian import (
    flat_params,
    gradient_and_hessian,
    hvp,
    hvp_operator,
    model_loss_fn,
    set_flat_params,
)
from mllab.analysis.lanczos import hessian_extremes, lanczos_extremes, lanczos_tridiagonal
from mllab.analysis.least_squares import design_matrix, least_squares, linear_mse, mse_hessian
from mllab.analysis.linear_regions import (
    activation_patterns,
    breakpoints_on_line,
    regions_on_grid,
    regions_on_line,
)
from mllab.analysis.loss_curve import bowl_with_bump, curve_critical_points
from mllab.analysis.quadratic import elongated_bowl, gd_excess_loss, updates_to_reach
from mllab.analysis.sharpness import epsilon_sharpness, top_hessian_eigenvalue
from mllab.analysis.surface import filter_normalized_direction, loss_along_line, loss_on_plane

__all__ = [
    "activation_patterns",
    "breakpoints_on_line",
    "regions_on_grid",
    "regions_on_line",
    "KINDS",
    "CriticalPoint",
    "bowl_with_bump",
    "classify_critical_point",
    "curve_critical_points",
    "design_matrix",
    "elongated_bowl",
    "epsilon_sharpness",
    "escape_direction",
    "escape_step",
    "filter_normalized_direction",
    "flat_params",
    "gd_excess_loss",
    "gradient_and_hessian",
    "hessian_extremes",
    "hvp",
    "hvp_operator",
    "lanczos_extremes",
    "lanczos_tridiagonal",
    "least_squares",
    "linear_mse",
    "loss_along_line",
    "loss_on_plane",
    "minimize_gradient_norm",
    "model_loss_fn",
    "mse_hessian",
    "set_flat_params",
    "top_hessian_eigenvalue",
    "updates_to_reach",
]
