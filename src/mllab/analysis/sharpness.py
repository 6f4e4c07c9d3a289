r"""Sharpness of a minimum: the Hessian's top eigenvalue and Keskar's :math:`\epsilon`-sharpness.

The course's batch-size lecture (small batches find "flat" minima that generalize, large
batches "sharp" ones) follows Keskar et al. 2017, "On Large-Batch Training for Deep Learning:
Generalization Gap and Sharp Minima" (arXiv:1609.04836). Two measures of sharpness:

- the curvature of the steepest direction, :math:`\lambda_{\max}(H)`
  (:func:`top_hessian_eigenvalue`);
- the largest relative loss increase in a small box around :math:`\theta`, Keskar's metric
  (:func:`epsilon_sharpness`):

.. math:: \phi_{\theta, L}(\epsilon) = \frac{\max_{\delta \in C_\epsilon} L(\theta + \delta)
    - L(\theta)}{1 + L(\theta)} \times 100, \qquad
    C_\epsilon = \{\delta : |\delta_i| \le \epsilon (|\theta_i| + 1)\}.

Differences from the paper: Keskar et al. solve the inner maximization with L-BFGS-B
(10 iterations) and also use random low-dimensional subspaces :math:`\theta + Ay`; here it is
projected gradient ascent in the full space (:math:`A = I`), :math:`\text{steps}` sign-gradient
steps from a random point of the box, and the maximum is taken over every point visited,
:math:`\delta = 0` included, so :math:`\phi \ge 0` always. Like any local search it gives a
lower bound of the true maximum.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import grad_and_value

from mllab.analysis.hessian import flat_params, model_loss_fn
from mllab.analysis.lanczos import hessian_extremes

__all__ = ["epsilon_sharpness", "top_hessian_eigenvalue"]

LossFn = Callable[[Tensor, Tensor], Tensor]


def top_hessian_eigenvalue(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor, *,
                           iterations: int = 20, generator: torch.Generator) -> float:
    r"""The largest eigenvalue :math:`\lambda_{\max}(H)` of the loss's Hessian at the parameters.

    .. math:: \lambda_{\max}(H) = \max_{\lVert v \rVert = 1} v^\top H v

    Lanczos on Hessian-vector products (:func:`mllab.analysis.hessian_extremes`), exact once
    ``iterations`` reaches the number of parameters. Lanczos rather than power iteration:
    power iteration converges to the eigenvalue of largest *magnitude*, which away from a
    minimum can be the most negative one, and at the slower rate
    :math:`|\lambda_2 / \lambda_1|^k`.
    """
    return hessian_extremes(model, loss_fn, x, y, iterations=iterations, generator=generator)[1]


def epsilon_sharpness(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor, *,
                      eps: float = 1e-3, steps: int = 10, generator: torch.Generator) -> float:
    r"""Keskar's :math:`\epsilon`-sharpness: the largest relative loss increase in a box, in %.

    .. math:: \phi = 100 \cdot \frac{\max_{\delta \in C_\epsilon} L(\theta + \delta)
        - L(\theta)}{1 + L(\theta)}, \qquad
        C_\epsilon = \{\delta : |\delta_i| \le r_i\},\ r_i = \epsilon (|\theta_i| + 1)

    The maximization is projected gradient ascent from a uniform random
    :math:`\delta^0 \in C_\epsilon`, with steps of steepest ascent for the box's (scaled
    :math:`\ell_\infty`) geometry, then projection (clipping) onto the box:

    .. math:: \delta^{t+1} = \mathrm{clip}\big(\delta^t + \eta\, r \odot
        \operatorname{sign} \nabla L(\theta + \delta^t),\ -r,\ r\big), \qquad
        \eta = 2.5 / \text{steps}

    (the step rule of Madry et al. 2018, arXiv:1706.06083). The maximum is over
    :math:`\delta = 0` and every :math:`\delta^t`. The model's parameters are not modified.

    Args:
        model: its parameters are :math:`\theta`.
        loss_fn: ``loss_fn(model(x), y)`` is the scalar loss.
        x: inputs.
        y: targets.
        eps: :math:`\epsilon > 0`, the relative size of the box.
        steps: number of ascent steps, >= 0.
        generator: draws the random start.

    Returns:
        :math:`\phi \ge 0`, in percent.
    """
    if not eps > 0 or steps < 0:
        raise ValueError(f"need eps > 0 and steps >= 0, got eps={eps}, steps={steps}")
    theta = flat_params(model)  # (P,)
    f = model_loss_fn(model, loss_fn, x, y)
    grad_and_loss = grad_and_value(lambda delta: f(theta + delta))
    r = eps * (theta.abs() + 1)  # (P,)  box half-widths ε(|θ_i| + 1)
    u = torch.rand(theta.shape, generator=generator, dtype=theta.dtype,
                   device=generator.device).to(theta.device)  # (P,)  U[0, 1)
    delta = (2 * u - 1) * r  # δ^0 uniform in C_ε
    eta = 2.5 / steps if steps else 0.0
    with torch.no_grad():
        loss = float(f(theta))  # L(θ)
    best = loss
    for _ in range(steps):
        g, value = grad_and_loss(delta)
        best = max(best, float(value))
        delta = torch.clamp(delta + eta * r * g.sign(), -r, r)  # projected ascent step
    with torch.no_grad():
        best = max(best, float(f(theta + delta)))
    return 100.0 * (best - loss) / (1.0 + loss)  # Keskar's φ, in %
