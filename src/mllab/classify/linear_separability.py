r"""How well can any linear classifier do? (Lecture "Classification": the limit of logistic
regression, XOR.)"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def best_linear_accuracy(x: Tensor, y: Tensor, n_angles: int = 720) -> float:
    r"""Best accuracy of any linear classifier :math:`[u_\phi^\top x > t]` on 2-D data,
    searched over ``n_angles`` directions (both orientations) and every threshold."""
    phi = torch.arange(n_angles, dtype=torch.float64) * (2 * math.pi / n_angles)
    u = torch.stack([phi.cos(), phi.sin()], dim=1)  # (A, 2)
    proj = x.double() @ u.T  # (N, A)
    order = proj.argsort(dim=0)  # (N, A)
    y_sorted = y.double()[order]  # (N, A): labels in order of projection
    # Threshold after k points: predict 0 for the first k, 1 for the rest.
    ones_after = y_sorted.sum(0) - torch.cat([torch.zeros(1, n_angles, dtype=torch.float64),
                                              y_sorted.cumsum(0)])  # (N+1, A)
    zeros_before = torch.cat([torch.zeros(1, n_angles, dtype=torch.float64),
                              (1 - y_sorted).cumsum(0)])  # (N+1, A)
    return ((ones_after + zeros_before).max() / len(y)).item()
