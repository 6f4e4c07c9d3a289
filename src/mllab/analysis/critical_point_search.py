r"""Searching for critical points: move parameters to where the gradient vanishes.

Lecture "When gradient is small: local minimum and saddle point" and its homework (HW2 2022):
to study what kind of point gradient descent stalls at, first *find* such points. Minimizing
:math:`\frac12\lVert g(\theta) \rVert^2` instead of the loss finds critical points of every
kind (minima, saddle points, maxima), which :func:`mllab.analysis.classify_critical_point`
then tells apart. The critical-points experiment searches with :func:`minimize_gradient_norm`;
for a model of one's own::

    from mllab.analysis import (classify_critical_point, flat_params, gradient_and_hessian,
                                minimize_gradient_norm, model_loss_fn, set_flat_params)

    model.eval()
    f = model_loss_fn(model, loss_fn, x, y)  # the loss as a function of the flat θ
    ends, _ = minimize_gradient_norm(f, flat_params(model), steps=100)
    set_flat_params(model, ends)
    print(classify_critical_point(*gradient_and_hessian(model, loss_fn, x, y)).kind)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from mllab.config import require_int

__all__ = ["minimize_gradient_norm"]


def minimize_gradient_norm(f: Callable[[Tensor], Tensor], theta: Tensor, *, steps: int,
                           mu: float = 1e-3, stop_tol: float = 1e-12, stall_window: int = 25,
                           stall_factor: float = 0.99) -> tuple[Tensor, list[int]]:
    r"""Move each row of ``theta`` to a critical point of ``f`` by minimizing
    :math:`\tfrac12\lVert g(\theta)\rVert^2`, :math:`g = \nabla f`.

    Levenberg–Marquardt on the residual :math:`g(\theta)`, whose Jacobian is the Hessian
    :math:`H`: linearizing :math:`g(\theta + \delta) \approx g + H\delta`,

    .. math:: \delta = -(H^2 + \mu I)^{-1} H g

    (:math:`H^\top H = H^2` as :math:`H` is symmetric). A step that lowers :math:`\lVert g
    \rVert` is taken and :math:`\mu \leftarrow \mu/3`; otherwise it is refused and
    :math:`\mu \leftarrow 4\mu`. It converges to a zero of :math:`g` of any kind (minimum,
    saddle point, maximum) near the start, or stalls at a local minimum of
    :math:`\lVert g \rVert` that is no critical point.

    All rows are searched at once (``torch.func.vmap``), each with its own :math:`\mu`. A row
    stops after ``steps`` proposals, when :math:`\lVert g \rVert \le` ``stop_tol``, when
    :math:`\mu > 10^{12}`, or when :math:`\lVert g \rVert` fell by less than the factor
    ``stall_factor`` over its last ``stall_window`` proposals.

    Args:
        f: the loss as a function of a ``(P,)`` parameter vector (for a model:
            :func:`mllab.analysis.model_loss_fn`).
        theta: starting points, ``(M, P)``, or one starting point ``(P,)``; not modified.
        steps: the most proposals per row (an integer >= 1).

    Returns:
        The final points, shaped like ``theta``, and the number of proposals each row made.
    """
    require_int("steps", steps, 1)
    if theta.ndim == 1:
        ends, used = minimize_gradient_norm(f, theta[None], steps=steps, mu=mu,
                                            stop_tol=stop_tol, stall_window=stall_window,
                                            stall_factor=stall_factor)
        return ends[0], used
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (M, P) or (P,), got {tuple(theta.shape)}")
    grad_f = torch.func.jacrev(f)  # not grad: jacfwd over grad fails on F.mse_loss (hessian.py)
    batched_grad = torch.func.vmap(grad_f)
    batched_hessian = torch.func.vmap(torch.func.jacfwd(grad_f))
    theta = theta.clone()
    M, P = theta.shape
    g, H = batched_grad(theta), batched_hessian(theta)  # (M, P), (M, P, P)
    norm = torch.linalg.vector_norm(g, dim=1)  # (M,)
    mu_ = torch.full((M,), mu, dtype=theta.dtype)
    eye = torch.eye(P, dtype=theta.dtype)
    history = [norm.clone()]
    used = [0] * M
    active = torch.ones(M, dtype=torch.bool)
    for step in range(1, steps + 1):
        i = torch.nonzero(active).squeeze(1)  # rows still searching
        if len(i) == 0:
            break
        Hi, gi = H[i], g[i]
        A = Hi @ Hi + mu_[i, None, None] * eye  # (m, P, P)  H² + μI
        delta = torch.linalg.solve(A, (Hi @ gi[..., None]))[..., 0]  # (m, P)
        candidate = theta[i] - delta
        g_new = batched_grad(candidate)  # (m, P)
        better = torch.linalg.vector_norm(g_new, dim=1) < norm[i]  # (m,)
        j = i[better]
        theta[j], g[j] = candidate[better], g_new[better]
        norm[j] = torch.linalg.vector_norm(g[j], dim=1)
        if len(j):
            H[j] = batched_hessian(theta[j])
        mu_[i] = torch.where(better, (mu_[i] / 3).clamp_min(1e-15), mu_[i] * 4)
        history.append(norm.clone())
        for r in i.tolist():
            used[r] = step
        stalled = (norm > stall_factor * history[-1 - stall_window]) if step >= stall_window \
            else torch.zeros(M, dtype=torch.bool)
        active &= (norm > stop_tol) & (mu_ <= 1e12) & ~stalled
    return theta, used
