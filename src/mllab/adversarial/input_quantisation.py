r"""Input quantisation, a passive defence: compress the input to a few grey levels.

The lecture's passive defences include compressing the input; reducing the colour depth to
:math:`b` bits ("feature squeezing", Xu et al., arXiv:1704.01155, Section 4.1) rounds every
pixel in :math:`[0, 1]` to the nearest of :math:`2^b` levels, so perturbations smaller than
half a level vanish:

.. math:: \tilde x = \operatorname{round}\big(x (2^b - 1)\big) / (2^b - 1)
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require_int

__all__ = ["quantise"]


def quantise(x: Tensor, bits: int = 3) -> Tensor:
    r"""``x`` in :math:`[0, 1]` rounded to :math:`2^b` levels (``bits`` >= 1)."""
    require_int("bits", bits, 1)
    levels = 2 ** bits - 1
    return torch.round(x.clamp(0, 1) * levels) / levels  # round(x (2^b - 1)) / (2^b - 1)
