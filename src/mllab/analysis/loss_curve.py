r"""A 1-D loss curve with a local minimum in front of a deeper one, and its critical points
(Lecture "Batch and momentum": momentum rolls over the bump where gradient descent stops).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def bowl_with_bump(theta: Tensor, *, a: float, c: float, h: float, b: float,
                   w: float) -> Tensor:
    r"""A 1-D loss with a shallow local minimum in front of a deeper one (SYNTHETIC).

    .. math:: L(\theta) = \tfrac12 a (\theta - c)^2 + h \exp\!\Big(-\frac{(\theta - b)^2}
        {2 w^2}\Big)

    A bowl of curvature :math:`a` centred at :math:`c` carries a Gaussian bump of height
    :math:`h` and width :math:`w` at :math:`b`. Where the bump's rise is steeper than the
    bowl's slope, a local minimum forms just before the bump.
    """
    return 0.5 * a * (theta - c).square() + h * torch.exp(-(theta - b).square() / (2 * w * w))



def curve_critical_points(loss: Callable[[Tensor], Tensor], lo: float, hi: float,
                    n: int = 20001) -> list[dict]:
    r"""Points of :math:`[lo, hi]` where :math:`L'(\theta) = 0`, found on a grid and refined.

    :math:`L'` comes from autograd; each sign change between neighbouring grid points (a
    zero on a grid point included) is refined by 60 bisections. A change from :math:`-` to
    :math:`+` is a minimum, from :math:`+` to :math:`-` a maximum (a zero without a sign
    change, such as an inflection saddle, is not found).

    Returns:
        ``[{"theta", "loss", "kind"}]`` in increasing :math:`\theta`, kind ``"minimum"`` or
        ``"maximum"``.
    """
    def slope(theta: Tensor) -> Tensor:
        theta = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(theta).sum(), theta)
        return g

    grid = torch.linspace(lo, hi, n, dtype=torch.float64)  # (n,)
    g = slope(grid)
    points = []
    # A change of sign between grid[i] and grid[i+1]; a zero on grid[i+1] counts there.
    changes = ((g[:-1] < 0) & (g[1:] >= 0)) | ((g[:-1] > 0) & (g[1:] <= 0))
    for i in torch.nonzero(changes).flatten().tolist():
        left, right = grid[i].clone(), grid[i + 1].clone()
        rising = bool(g[i] < 0)  # − to +: a minimum
        for _ in range(60):
            mid = (left + right) / 2
            if (slope(mid) < 0) == rising:
                left = mid
            else:
                right = mid
        theta = (left + right) / 2
        points.append({"theta": theta.item(), "loss": loss(theta).item(),
                       "kind": "minimum" if rising else "maximum"})
    return points
