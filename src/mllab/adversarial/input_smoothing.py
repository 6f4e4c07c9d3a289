r"""Input smoothing, a passive defence: blur the input before the network.

The adversarial-attack lecture's passive defences put a filter in front of the network, e.g.
smoothing: the attack's high-frequency perturbation is averaged away while the image stays
recognisable. Here a :math:`k \times k` mean filter with replicated edges:

.. math:: \tilde x_{ij} = \frac{1}{k^2} \sum_{|a|, |b| \le \lfloor k/2 \rfloor} x_{i+a, j+b}
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from mllab.config import is_int, require

__all__ = ["mean_smoothing"]


def mean_smoothing(x: Tensor, k: int = 3) -> Tensor:
    r"""``x`` ``(B, C, H, W)`` averaged over each pixel's :math:`k \times k` window (odd k)."""
    require(is_int(k) and k >= 1 and k % 2 == 1, "k", "an odd integer >= 1", k)
    r = k // 2
    padded = F.pad(x, [r, r, r, r], mode="replicate")  # (B, C, H+2r, W+2r)
    return F.avg_pool2d(padded, k, stride=1)  # (B, C, H, W)
