r"""Iterative FGSM / projected gradient descent (PGD) in an :math:`L_\infty` or :math:`L_2` ball.

The lecture's iterative attack: start at :math:`x^0`, repeat
:math:`x^{t+1} = \operatorname{fix}(x^t - \alpha\,\Delta x^t)`, where ``fix`` projects back into
:math:`d(x^0, x) \le \varepsilon` (and the valid pixel range). Madry et al., arXiv:1706.06083,
Eq. (2.1) adds a uniformly random start inside the ball.

- :math:`L_\infty`: :math:`\Delta x = \operatorname{sign}(\nabla_x L)`; the projection clips
  each pixel's :math:`x - x^0` to :math:`[-\varepsilon, \varepsilon]` (iterative FGSM,
  Kurakin et al., arXiv:1607.02533).
- :math:`L_2`: :math:`\Delta x = \nabla_x L / (\lVert \nabla_x L \rVert_2 + 10^{-10})` per
  example; the projection rescales :math:`x - x^0` to norm :math:`\varepsilon` where longer.

The order of the operations and the :math:`10^{-10}` follow ``torchattacks.PGD`` and
``PGDL2``, so that the same model and settings give the same examples. Differences from
``torchattacks``: its L2 random start draws a direction and a radius uniform in [0, 1]·ε;
here the same, from ``generator``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.adversarial.attack_loss import Transform, loss_gradient
from mllab.config import is_real, require, require_int

__all__ = ["NORMS", "L2_DIVISION_EPS", "project", "project_l2", "project_linf", "pgd",
           "random_start", "step_direction"]

NORMS = ("inf", "2")
"""The balls: ``"inf"`` for :math:`L_\\infty`, ``"2"`` for :math:`L_2`."""
L2_DIVISION_EPS = 1e-10
"""Added to :math:`\\lVert \\nabla_x L \\rVert_2` before dividing (as ``torchattacks``)."""


def _norms(v: Tensor) -> Tensor:
    r""":math:`\lVert v_b \rVert_2` per example, shaped ``(B, 1, ..., 1)``."""
    B = v.shape[0]
    return v.reshape(B, -1).norm(p=2, dim=1).reshape(B, *[1] * (v.dim() - 1))  # (B, 1, ...)


def project_linf(x: Tensor, x0: Tensor, eps: float) -> Tensor:
    r""":math:`x^0 + \operatorname{clip}(x - x^0, -\varepsilon, \varepsilon)`."""
    return x0 + torch.clamp(x - x0, -eps, eps)


def project_l2(x: Tensor, x0: Tensor, eps: float) -> Tensor:
    r""":math:`x^0 + \delta \min(1, \varepsilon / \lVert \delta \rVert_2)`,
    :math:`\delta = x - x^0`, per example."""
    delta = x - x0
    factor = torch.clamp(eps / _norms(delta), max=1.0)  # min(1, eps / ||delta||)
    return x0 + delta * factor


def project(x: Tensor, x0: Tensor, eps: float, norm: str,
            pixel_range: tuple[float, float] = (0.0, 1.0)) -> Tensor:
    r"""Into the ``norm`` ball of radius ``eps`` around ``x0``, then into the pixel range."""
    inside = project_linf(x, x0, eps) if norm == "inf" else project_l2(x, x0, eps)
    return torch.clamp(inside, *pixel_range)


def step_direction(grad: Tensor, norm: str) -> Tensor:
    r""":math:`\Delta x`: the sign (:math:`L_\infty`) or the unit-:math:`L_2` gradient."""
    if norm == "inf":
        return grad.sign()
    return grad / (_norms(grad) + L2_DIVISION_EPS)


def random_start(x0: Tensor, eps: float, norm: str, generator: torch.Generator,
                 pixel_range: tuple[float, float] = (0.0, 1.0)) -> Tensor:
    r"""A random point of the ball: uniform per pixel in :math:`[-\varepsilon, \varepsilon]`
    (:math:`L_\infty`), or a Gaussian direction at radius :math:`u\varepsilon`,
    :math:`u \sim U[0, 1]` (:math:`L_2`); clipped to the pixel range."""
    if norm == "inf":
        u = torch.rand(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        delta = (2 * u - 1) * eps
    else:
        d = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        r = torch.rand(x0.shape[0], generator=generator, dtype=x0.dtype).to(x0.device)
        delta = d / _norms(d) * r.reshape(-1, *[1] * (x0.dim() - 1)) * eps  # (B, ...)
    return torch.clamp(x0 + delta, *pixel_range)


def pgd(model: nn.Module, x0: Tensor, y: Tensor, eps: float, alpha: float, steps: int, *,
        norm: str = "inf", target: Tensor | None = None, away_from_true: bool = True,
        generator: torch.Generator | None = None, transform: Transform | None = None,
        pixel_range: tuple[float, float] = (0.0, 1.0)) -> Tensor:
    r"""PGD's adversarial example after ``steps`` steps of size ``alpha``, detached.

    .. math:: x^{t+1} = \Pi_{B_\varepsilon(x^0) \cap [lo, hi]}\big(x^t - \alpha\,
              \Delta x^t\big)

    A ``generator`` gives the random start of Madry et al.; without one the attack starts at
    :math:`x^0` (iterative FGSM). ``transform`` is applied before the model at each step
    (input diversity).
    """
    require(norm in NORMS, "norm", f"one of {', '.join(NORMS)}", norm)
    require(is_real(eps) and eps >= 0, "eps", "a number >= 0", eps)
    require(is_real(alpha) and alpha > 0, "alpha", "a number > 0", alpha)
    require_int("steps", steps, 1)
    x0 = x0.detach()
    x = x0.clone() if generator is None else random_start(x0, eps, norm, generator, pixel_range)
    for _ in range(steps):
        grad = loss_gradient(model, x, y, target, away_from_true, transform)
        x = x - alpha * step_direction(grad, norm)  # x^{t+1} = x^t - alpha * dx
        x = project(x, x0, eps, norm, pixel_range).detach()  # fix(x)
    return x
