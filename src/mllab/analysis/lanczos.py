r"""The Lanczos method: extreme eigenvalues of a symmetric operator given as :math:`v \mapsto Av`.

Used for the Hessian of models too large for :math:`H` to be formed: the critical-point lecture
(is the smallest eigenvalue negative? a saddle point) and sharpness (the largest eigenvalue).

With :math:`q_1` a random unit vector, Lanczos builds an orthonormal basis
:math:`Q_k = [q_1, \dots, q_k]` of the Krylov space
:math:`\mathrm{span}\{q_1, Aq_1, \dots, A^{k-1}q_1\}` by the three-term recurrence

.. math:: \beta_j q_{j+1} = A q_j - \alpha_j q_j - \beta_{j-1} q_{j-1},
    \qquad \alpha_j = q_j^\top A q_j,

in which :math:`Q_k^\top A Q_k = T_k` is tridiagonal with diagonal :math:`\alpha` and
off-diagonal :math:`\beta`. The extreme eigenvalues of :math:`T_k` (Ritz values) converge to
the extreme eigenvalues of :math:`A` far faster than power iteration, and from both ends at
once. After :math:`k = n` steps they are exact.

Differences from textbook Lanczos: every new vector is reorthogonalized against all previous
ones (twice, "twice is enough"), which costs :math:`O(kn)` per step but prevents the spurious
copies of eigenvalues that plain Lanczos produces in floating point. Work is in float64 by
default whatever the operator's dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from mllab.analysis.hessian import hvp_operator

__all__ = ["hessian_extremes", "lanczos_extremes", "lanczos_tridiagonal"]


def lanczos_tridiagonal(matvec: Callable[[Tensor], Tensor], dim: int, *, iterations: int = 30,
                        generator: torch.Generator, dtype: torch.dtype = torch.float64
                        ) -> Tensor:
    r"""The :math:`k \times k` tridiagonal :math:`T_k = Q_k^\top A Q_k` of :math:`k` Lanczos steps.

    :math:`k = \min(\text{iterations}, \text{dim})`, or fewer if the Krylov space becomes
    invariant (:math:`\beta_j \approx 0`; the Ritz values are then exact).

    Args:
        matvec: :math:`v \mapsto Av` for a symmetric :math:`A`, on ``(dim,)`` vectors.
        dim: :math:`n`, the size of :math:`A`.
        iterations: the maximum number of steps :math:`k`, >= 1.
        generator: draws the random start :math:`q_1`.
        dtype: the working dtype.

    Returns:
        :math:`T_k`, shape ``(k, k)``.
    """
    if dim < 1 or iterations < 1:
        raise ValueError(f"need dim >= 1 and iterations >= 1, got {dim} and {iterations}")
    k_max = min(iterations, dim)
    q = torch.randn(dim, generator=generator, dtype=dtype, device=generator.device)
    q = q / torch.linalg.vector_norm(q)
    Q = torch.zeros(k_max, dim, dtype=dtype, device=q.device)  # (k, n) rows q_1..q_k
    alpha: list[Tensor] = []
    beta: list[Tensor] = []
    scale = torch.zeros((), dtype=dtype, device=q.device)  # running estimate of ||A||
    for j in range(k_max):
        Q[j] = q
        w = matvec(q).to(dtype=dtype, device=q.device)  # (n,)  A q_j
        alpha.append(torch.dot(w, q))  # alpha_j = q_j^T A q_j
        for _ in range(2):  # full reorthogonalization, which also removes alpha_j q_j, beta q_{j-1}
            w = w - Q[: j + 1].T @ (Q[: j + 1] @ w)
        b = torch.linalg.vector_norm(w)  # beta_j
        scale = torch.maximum(scale, alpha[-1].abs() + b)
        if j == k_max - 1 or b <= 1e-12 * scale:  # done, or the Krylov space is invariant
            break
        beta.append(b)
        q = w / b  # q_{j+1}
    a = torch.stack(alpha)  # (k,)
    T = torch.diag(a)
    if beta:
        off = torch.stack(beta)  # (k-1,)
        T = T + torch.diag(off, 1) + torch.diag(off, -1)
    return T


def lanczos_extremes(matvec: Callable[[Tensor], Tensor], dim: int, *, iterations: int = 30,
                     generator: torch.Generator, dtype: torch.dtype = torch.float64
                     ) -> tuple[float, float]:
    r"""Estimates of the smallest and largest eigenvalue of a symmetric operator :math:`A`.

    .. math:: \lambda_{\min}(A) \approx \lambda_{\min}(T_k), \qquad
        \lambda_{\max}(A) \approx \lambda_{\max}(T_k)

    The Ritz values lie inside :math:`[\lambda_{\min}(A), \lambda_{\max}(A)]` and approach
    the ends from within; with ``iterations >= dim`` they are exact up to rounding.

    Args:
        matvec: :math:`v \mapsto Av` on ``(dim,)`` vectors; :math:`A` must be symmetric.
        dim: :math:`n`.
        iterations: the number of Lanczos steps (matvec calls).
        generator: draws the random start vector.
        dtype: the working dtype.

    Returns:
        ``(lam_min, lam_max)``.
    """
    T = lanczos_tridiagonal(matvec, dim, iterations=iterations, generator=generator,
                            dtype=dtype)
    ritz = torch.linalg.eigvalsh(T)  # (k,) ascending
    return float(ritz[0]), float(ritz[-1])


def hessian_extremes(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor,
                     y: Tensor, *, iterations: int = 30, generator: torch.Generator
                     ) -> tuple[float, float]:
    r"""Smallest and largest eigenvalue of the loss's Hessian :math:`H` at the model's parameters.

    Lanczos on Hessian-vector products (:func:`mllab.analysis.hvp_operator`), :math:`H` never
    formed. :math:`\lambda_{\min} < 0` means the point has a descent direction of negative
    curvature (at a critical point: a saddle point); :math:`\lambda_{\max}` is the sharpness.

    Returns:
        ``(lam_min, lam_max)``.
    """
    matvec = hvp_operator(model, loss_fn, x, y)
    dim = sum(p.numel() for p in model.parameters())
    return lanczos_extremes(matvec, dim, iterations=iterations, generator=generator)
