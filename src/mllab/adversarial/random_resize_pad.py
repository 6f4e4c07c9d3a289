r"""Random resizing and padding of the input: input diversity for attacks, randomisation as a
passive defence.

Xie et al., "Mitigating adversarial effects through randomization", arXiv:1711.01991: resize
the :math:`W \times W` image to a random :math:`r \times r`, then pad it with zeros at a random
offset to :math:`W' \times W'`. The attack lecture's passive defences include such
randomisation of the input; DI-FGSM (arXiv:1803.06978) applies the same transformation with
probability :math:`p` at each attack step so that the example transfers better.

The output is :math:`W' \times W'` with :math:`W' = \lfloor W \cdot \text{rate} \rfloor`
(``rate >= 1``); the models that read it must accept that size (a global pooling), or pass
``resize_back=True`` to scale back to :math:`W`.

Differences from ``torchattacks.DIFGSM``: its draws come from the global RNG and its upper
bounds are exclusive (:math:`r < W'`); here from ``generator``, with :math:`r \in [W, W']`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.config import is_real, require

__all__ = ["random_resize_pad"]


def random_resize_pad(x: Tensor, generator: torch.Generator, rate: float = 1.1,
                      prob: float = 1.0, resize_back: bool = False) -> Tensor:
    r"""``x`` ``(B, C, W, W)`` resized to a random :math:`r \times r`, :math:`W \le r \le W'`,
    and zero-padded at a random offset to :math:`W' \times W'` (the same draw for the
    batch), then back to :math:`W \times W` with ``resize_back``; with probability
    :math:`1 - p` ``x`` is returned unchanged (as ``torchattacks``, so the model sees
    :math:`W` or :math:`W'`). Differentiable in ``x``."""
    require(is_real(rate) and rate >= 1, "rate", "a number >= 1", rate)
    require(is_real(prob) and 0 <= prob <= 1, "prob", "a number in [0, 1]", prob)
    W = x.shape[-1]
    W_out = int(W * rate)
    if float(torch.rand((), generator=generator)) >= prob:
        return x
    r = int(torch.randint(W, W_out + 1, (), generator=generator))
    rescaled = F.interpolate(x, size=(r, r), mode="bilinear", align_corners=False)  # (B,C,r,r)
    top = int(torch.randint(0, W_out - r + 1, (), generator=generator))
    left = int(torch.randint(0, W_out - r + 1, (), generator=generator))
    padded = F.pad(rescaled, [left, W_out - r - left, top, W_out - r - top])  # (B,C,W',W')
    if resize_back:
        return F.interpolate(padded, size=(W, W), mode="bilinear", align_corners=False)
    return padded
