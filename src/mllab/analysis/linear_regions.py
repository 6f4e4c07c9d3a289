r"""Counting the linear regions of a ReLU network (Why Deep lecture; Montúfar et al.,
arXiv:1402.1869; Serra et al., arXiv:1711.02114).

A network of ReLUs is piecewise linear: inside a region where every ReLU's on/off state (the
**activation pattern**) is fixed, it is one affine function. Along a line
:math:`x(t) = a + t(b - a)`, :math:`t \in [0, 1]`, the count is exact: layer by layer, the
pre-activations are affine in :math:`t` between the breakpoints found so far, so each
neuron's zero crossings are found by linear interpolation and added as breakpoints; the
regions are then the maximal intervals of constant pattern (read at the intervals' midpoints).

On a 2-D grid the count is of the distinct patterns seen at the grid points: a lower bound on
the regions of the square (a region smaller than the grid's spacing is missed), and a
pattern met in two separate places counts once.

The network is an ``nn.Sequential`` (or any module whose ``modules()`` are in order) of
``nn.Linear`` and ``nn.ReLU``; the inputs of the ReLUs are the pre-activations.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

__all__ = ["activation_patterns", "breakpoints_on_line", "regions_on_grid", "regions_on_line"]


def _pre_activations(model: nn.Module, x: Tensor) -> list[Tensor]:
    r"""The input of every ``nn.ReLU`` of ``model`` (walked in order) on ``x`` ``(N, C)``."""
    found: list[Tensor] = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: found.append(inp[0]))
             for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return found


def _float64(model: nn.Module) -> nn.Module:
    r"""A float64 copy of ``model`` in eval mode (the caller's model is left as it is)."""
    return copy.deepcopy(model).double().eval()


def activation_patterns(model: nn.Module, x: Tensor) -> Tensor:
    r"""Which ReLUs are on at each point: ``(N, C)`` -> ``(N, units)`` booleans."""
    return torch.cat([z > 0 for z in _pre_activations(model, x)], dim=1)


def breakpoints_on_line(model: nn.Module, a: Tensor, b: Tensor) -> Tensor:
    r"""Every :math:`t \in (0, 1)` where a ReLU's pre-activation crosses zero on
    :math:`x(t) = a + t(b - a)`, with the ends 0 and 1; sorted, float64."""
    model = _float64(model)
    a, b = a.double(), b.double()
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    n_layers = sum(isinstance(m, nn.ReLU) for m in model.modules())
    for layer in range(n_layers):
        z = _pre_activations(model, a + t[:, None] * (b - a))[layer]  # (N, units), affine between
        z0, z1 = z[:-1], z[1:]
        crossing = (z0 * z1) < 0
        t0, t1 = t[:-1, None].expand_as(z0), t[1:, None].expand_as(z0)
        roots = t0 + (t1 - t0) * z0 / (z0 - z1)  # zero of the affine piece
        t = torch.unique(torch.cat([t, roots[crossing]]))  # sorted
    return t


def regions_on_line(model: nn.Module, a: Tensor, b: Tensor) -> int:
    r"""The exact number of linear regions the segment from ``a`` to ``b`` crosses: maximal
    intervals of constant activation pattern."""
    t = breakpoints_on_line(model, a, b)
    mid = (t[:-1] + t[1:]) / 2
    patterns = activation_patterns(_float64(model), a.double() + mid[:, None] * (b - a).double())
    changes = (patterns[1:] != patterns[:-1]).any(dim=1)
    return 1 + int(changes.sum())


def regions_on_grid(model: nn.Module, low: tuple[float, float], high: tuple[float, float],
                    n: int = 200) -> tuple[int, Tensor]:
    r"""Distinct activation patterns on an ``n`` by ``n`` grid of the square from ``low`` to
    ``high`` (2-D inputs), and each point's pattern index ``(n, n)`` (for a figure)."""
    xs = torch.linspace(low[0], high[0], n, dtype=torch.float64)
    ys = torch.linspace(low[1], high[1], n, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).view(-1, 2)  # (n*n, 2)
    patterns = activation_patterns(_float64(model), grid)
    unique, index = torch.unique(patterns, dim=0, return_inverse=True)
    return len(unique), index.view(n, n)  # (n, n)
