r"""An ensemble of proxy models, attacked as one: the homework's black-box attack.

The lecture: without the target network's parameters, attack a proxy network trained on the
same data and hope the example transfers; attacking several proxies at once transfers
better. Liu et al., arXiv:1611.02770, Eq. (2) fuse the proxies' logits with weights
:math:`w_i` (:math:`\sum_i w_i = 1`):

.. math:: \ell(x) = \sum_i w_i\, \ell_i(x)

so any attack here (:func:`fgsm`, :func:`pgd`, :func:`mi_fgsm`) on an :class:`Ensemble`
is an ensemble attack.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from mllab.config import require

__all__ = ["Ensemble"]


class Ensemble(nn.Module):
    r"""Logits :math:`\sum_i w_i \ell_i(x)`, ``(B, K)``, of several models; equal weights by
    default."""

    def __init__(self, models: Sequence[nn.Module], weights: Sequence[float] | None = None
                 ) -> None:
        super().__init__()
        require(len(models) >= 1, "models", "at least one model", len(models))
        weights = [1.0 / len(models)] * len(models) if weights is None else list(weights)
        require(len(weights) == len(models) and all(w >= 0 for w in weights)
                and abs(sum(weights) - 1) < 1e-9, "weights",
                "one number >= 0 per model, summing to 1", weights)
        self.members = nn.ModuleList(models)
        self.register_buffer("w", torch.tensor(weights), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        logits = torch.stack([m(x) for m in self.members])  # (M, B, K)
        w = self.w.to(logits.dtype).reshape(-1, *[1] * (logits.dim() - 1))  # (M, 1, 1)
        return (w * logits).sum(0)  # Eq. (2): sum_i w_i l_i(x)
