r"""Linear regression in closed form: the least-squares optimum and the Hessian of the MSE.

Lecture 1's model :math:`y = b + w^\top x` with the loss
:math:`L(w, b) = \frac1N \sum_n (b + w^\top x_n - y_n)^2` is a quadratic in
:math:`\theta = (w, b)`. Writing the data as the design matrix :math:`A = [X \; 1]`,

.. math:: L(\theta) = \tfrac1N \lVert A\theta - y \rVert^2, \qquad
    \nabla L = \tfrac2N A^\top (A\theta - y), \qquad H = \tfrac2N A^\top A,

so the optimum solves the normal equations :math:`A^\top A \theta^* = A^\top y`, and
gradient descent on it converges for :math:`\eta < 2/\lambda_{max}(H)`. These closed forms
are what the experiments compare gradient descent against.
"""

from __future__ import annotations

import torch
from torch import Tensor


def design_matrix(x: Tensor) -> Tensor:
    r""":math:`A = [X \; 1]`: the inputs with a column of ones for the bias, (N, C) -> (N, C+1),
    in the dtype of ``x``."""
    return torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)  # (N, C+1)


def least_squares(x: Tensor, y: Tensor) -> tuple[Tensor, float]:
    r"""Closed-form optimum of :math:`L(w, b) = \frac1N \sum_n (b + w^\top x_n - y_n)^2`.

    .. math:: \theta^* = \arg\min_\theta \|A\theta - y\|^2, \quad A = [X \; 1]

    Solved by LAPACK's SVD-based ``gelsd``: the minimum-norm solution when :math:`A` is rank
    deficient, and the same bits in every process. (The default ``gelsy`` of
    ``torch.linalg.lstsq`` gave results that differed in the last digits between processes
    running the same computation, with MKL on one thread.)

    Args:
        x: inputs (N, C); y: targets (N,).

    Returns :math:`\theta^* = (w_1..w_C, b)` in float64, shape (C+1,), and :math:`L(\theta^*)`.
    """
    a = design_matrix(x.double())  # (N, C+1)
    theta = torch.linalg.lstsq(a, y.double().unsqueeze(1), driver="gelsd").solution.squeeze(1)
    return theta, (a @ theta - y.double()).square().mean().item()  # (C+1,), L(θ*)


def linear_mse(theta: Tensor, x: Tensor, y: Tensor) -> float:
    r"""Mean squared error :math:`\frac1N \sum_n (w^\top x_n + b - y_n)^2` of the linear model
    :math:`\theta = (w, b)` on any data ``(x, y)``."""
    return ((x @ theta[:-1] + theta[-1] - y) ** 2).mean().item()


def mse_hessian(x: Tensor) -> Tensor:
    r"""Hessian of :math:`L = \frac1N\lVert A\theta - y\rVert^2`, :math:`A = [X\;1]`:
    :math:`H = \frac2N A^\top A`, shape (C+1, C+1), in float64 (it does not depend on y)."""
    a = design_matrix(x.double())  # (N, C+1)
    return 2 * a.T @ a / len(x)
