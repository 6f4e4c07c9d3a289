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
  arXiv:1609.04836).
"""

from mllab.analysis.critical_point import (
    KINDS,
    CriticalPoint,
    classify_critical_point,
    escape_direction,
    escape_step,
)
from mllab.analysis.hessian import (
    flat_params,
    gradient_and_hessian,
    hvp,
    hvp_operator,
    model_loss_fn,
    set_flat_params,
)
from mllab.analysis.lanczos import hessian_extremes, lanczos_extremes, lanczos_tridiagonal
from mllab.analysis.sharpness import epsilon_sharpness, top_hessian_eigenvalue
from mllab.analysis.surface import filter_normalized_direction, loss_along_line, loss_on_plane

__all__ = [
    "KINDS",
    "CriticalPoint",
    "classify_critical_point",
    "epsilon_sharpness",
    "escape_direction",
    "escape_step",
    "filter_normalized_direction",
    "flat_params",
    "gradient_and_hessian",
    "hessian_extremes",
    "hvp",
    "hvp_operator",
    "lanczos_extremes",
    "lanczos_tridiagonal",
    "loss_along_line",
    "loss_on_plane",
    "model_loss_fn",
    "set_flat_params",
    "top_hessian_eigenvalue",
]
