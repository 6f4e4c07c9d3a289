r"""Features built from the inputs (Lecture "Training strategy": model complexity grows with
the degree of a polynomial regression)."""

from __future__ import annotations

import torch
from torch import Tensor


def power_features(x: Tensor, degree: int) -> Tensor:
    r"""Per-feature powers :math:`[x, x^2, \dots, x^d]` (no cross terms): (N, C) -> (N, dC)."""
    return torch.cat([x**p for p in range(1, degree + 1)], dim=1)  # (N, d·C)
