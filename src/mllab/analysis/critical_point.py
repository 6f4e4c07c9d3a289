r"""Critical points: local minimum, local maximum or saddle point, told apart by the Hessian.

Lecture "When gradient is small: local minimum and saddle point" (類神經網路訓練不起來怎麼辦
(一)). Gradient descent stalls where :math:`g = \nabla L(\theta') = 0`, a *critical point*.
There the Taylor series loses its first-order term,

.. math:: L(\theta) \approx L(\theta') + \tfrac{1}{2} v^\top H v,
    \qquad v = \theta - \theta',

and the sign of :math:`v^\top H v` for all :math:`v` decides the kind of point. With the
eigenvalues :math:`\lambda_i` of the symmetric :math:`H`:

- all :math:`\lambda_i > 0` (:math:`H` positive definite): :math:`v^\top H v > 0`, a
  **local minimum**;
- all :math:`\lambda_i < 0` (negative definite): a **local maximum**;
- some positive, some negative: a **saddle point**, and the eigenvector :math:`u` of a negative
  :math:`\lambda` is a way out (:func:`escape_direction`, :func:`escape_step`).

The homework (HW2 2022) also reports the *minimum ratio*, the share of positive eigenvalues,
and calls a point "minimum-like" when the gradient is small and the ratio exceeds one half.

Differences from the course: the course tests :math:`g = 0` and :math:`\lambda_i > 0`
exactly; in floating point :func:`classify_critical_point` uses tolerances ``grad_tol`` and
``eig_tol``. An eigenvalue in :math:`[-\epsilon, \epsilon]` (``eig_tol``; exactly zero with the
default 0) is neither positive nor negative: the second-order test cannot decide the point, and
it is reported as a ``"saddle point"`` (the point is not certified a minimum or maximum; e.g.
:math:`w_1^2 + w_2^4` at 0 is a minimum with eigenvalues 2 and 0). The course's escape by
eigenvector is, as the lecture says, rarely used in practice: it needs the whole :math:`H`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.analysis.hessian import (
    flat_params,
    gradient_and_hessian,
    model_loss_fn,
    set_flat_params,
)

__all__ = [
    "KINDS",
    "CriticalPoint",
    "classify_critical_point",
    "escape_direction",
    "escape_step",
]

KINDS = ("not critical", "local minimum", "local maximum", "saddle point")


@dataclass
class CriticalPoint:
    r"""What the gradient and the Hessian say about one point :math:`\theta'`.

    Attributes:
        kind: one of :data:`KINDS`: ``"not critical"``, ``"local minimum"``,
            ``"local maximum"`` or ``"saddle point"``.
        grad_norm: :math:`\lVert g \rVert_2`.
        eigenvalues: eigenvalues of :math:`H`, ascending, shape ``(P,)``.
        minimum_ratio: share of positive eigenvalues,
            :math:`\#\{i : \lambda_i > \epsilon\} / P`.
        minimum_like: the homework's rule, ``grad_norm < grad_tol and minimum_ratio > 0.5``.
    """

    kind: str
    grad_norm: float
    eigenvalues: Tensor
    minimum_ratio: float
    minimum_like: bool


def classify_critical_point(g: Tensor, H: Tensor, grad_tol: float = 1e-3,
                            eig_tol: float = 0.0) -> CriticalPoint:
    r"""Classify a point from its gradient :math:`g` (``(P,)``) and Hessian :math:`H` (``(P, P)``).

    .. math:: \text{kind} = \begin{cases}
        \text{not critical} & \lVert g \rVert \ge \text{grad\_tol} \\
        \text{local minimum} & \lambda_i > \epsilon \ \forall i \\
        \text{local maximum} & \lambda_i < -\epsilon \ \forall i \\
        \text{saddle point} & \text{otherwise}
        \end{cases}
        \qquad \text{minimum ratio} = \frac{\#\{i : \lambda_i > \epsilon\}}{P}

    with :math:`\epsilon` = ``eig_tol``. Eigenvalues within :math:`[-\epsilon, \epsilon]` count
    as neither positive nor negative, so a point with one is a ``"saddle point"`` (the test is
    inconclusive there; see the module docstring). :math:`H` is symmetrized,
    :math:`\tfrac12(H + H^\top)`, before ``torch.linalg.eigvalsh``.

    Raises:
        ValueError: on mismatched shapes or negative tolerances.
    """
    if g.ndim != 1 or H.shape != (g.shape[0], g.shape[0]):
        raise ValueError(f"need g of shape (P,) and H of shape (P, P), got {tuple(g.shape)} "
                         f"and {tuple(H.shape)}")
    if grad_tol <= 0 or eig_tol < 0:
        raise ValueError(f"need grad_tol > 0 and eig_tol >= 0, got {grad_tol} and {eig_tol}")
    grad_norm = float(torch.linalg.vector_norm(g))
    lam = torch.linalg.eigvalsh(_symmetric(H))  # (P,) ascending
    minimum_ratio = float((lam > eig_tol).sum()) / lam.numel()
    if grad_norm >= grad_tol:
        kind = "not critical"
    elif bool((lam > eig_tol).all()):
        kind = "local minimum"
    elif bool((lam < -eig_tol).all()):
        kind = "local maximum"
    else:
        kind = "saddle point"
    return CriticalPoint(kind=kind, grad_norm=grad_norm, eigenvalues=lam,
                         minimum_ratio=minimum_ratio,
                         minimum_like=grad_norm < grad_tol and minimum_ratio > 0.5)


def escape_direction(H: Tensor) -> tuple[float, Tensor]:
    r"""The most negative eigenvalue :math:`\lambda` of :math:`H` and its unit eigenvector.

    Near a critical point :math:`\theta'` (where :math:`g = 0`), with :math:`Hu = \lambda u`,

    .. math:: L(\theta' + u) \approx L(\theta') + \tfrac{1}{2} u^\top H u
        = L(\theta') + \tfrac{1}{2} \lambda \lVert u \rVert^2 < L(\theta')
        \quad \text{when } \lambda < 0,

    so stepping along :math:`u` (or :math:`-u`, the same to second order) lowers :math:`L`.
    The most negative :math:`\lambda` lowers it fastest among eigen-directions.

    Returns:
        ``(lam, u)``: :math:`\lambda` as a float and :math:`u` of shape ``(P,)``,
        :math:`\lVert u \rVert = 1` (its sign is arbitrary).

    Raises:
        ValueError: if :math:`H` is not square or has no negative eigenvalue.
    """
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square (P, P) matrix, got {tuple(H.shape)}")
    lam, U = torch.linalg.eigh(_symmetric(H))  # (P,) ascending, (P, P) columns = eigenvectors
    if not bool(lam[0] < 0):
        raise ValueError(f"H has no negative eigenvalue (smallest is {float(lam[0]):.3g}): "
                         "no escape direction, the point is not a saddle point")
    return float(lam[0]), U[:, 0]


def escape_step(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor,
                y: Tensor, step: float) -> tuple[float, float]:
    r"""Leave a saddle point along the Hessian's most negative eigenvector; updates ``model``.

    .. math:: \theta \leftarrow \theta' \pm \text{step} \cdot u, \qquad Hu = \lambda u,\
        \lambda = \lambda_{\min}(H) < 0

    The sign is the one of the two with the lower loss (they agree to second order; the third
    order picks one).

    Args:
        model: its parameters are the point :math:`\theta'`; they are replaced by the new point.
        loss_fn: ``loss_fn(model(x), y)`` is the scalar loss.
        x: inputs.
        y: targets.
        step: the length of the move, > 0.

    Returns:
        ``(loss_before, loss_after)``.

    Raises:
        ValueError: if ``step <= 0`` or :math:`H` has no negative eigenvalue.
    """
    if not step > 0:
        raise ValueError(f"step must be > 0, got {step}")
    _, H = gradient_and_hessian(model, loss_fn, x, y)
    _, u = escape_direction(H)
    f = model_loss_fn(model, loss_fn, x, y)
    theta = flat_params(model)  # (P,)
    with torch.no_grad():
        loss_before = float(f(theta))
        candidates = [theta + step * u, theta - step * u]
        losses = [float(f(c)) for c in candidates]
    best = min(range(2), key=losses.__getitem__)
    set_flat_params(model, candidates[best])
    return loss_before, losses[best]


def _symmetric(H: Tensor) -> Tensor:
    r"""Return :math:`\tfrac12 (H + H^\top)`, removing rounding asymmetry."""
    return 0.5 * (H + H.T)
