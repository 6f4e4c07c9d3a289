r"""The hard sigmoid of Lecture 1, built from two ReLUs.

The course approximates any piecewise-linear curve by a constant plus a sum of "blue
functions": ramps that are flat, rise linearly, then are flat again. Here such a ramp, the
*hard sigmoid*, is defined on :math:`z = b + w x` as

.. math::
    h(x) = c\,\big(\max(0,\, b + w x) - \max(0,\, b + w x - 1)\big)
         = c \cdot \min\!\big(\max(b + w x,\, 0),\, 1\big)

so it is :math:`0` where :math:`b + w x \le 0`, :math:`c` where :math:`b + w x \ge 1`, and the
straight line :math:`c\,(b + w x)` in between. The parameters set the position (:math:`b`),
the slope of the rise (:math:`w`; negative :math:`w` gives a falling ramp) and the height
(:math:`c`).

Differences from the course: the lecture writes the two ReLUs with independent parameters,
:math:`c\max(0, b + w x) + c'\max(0, b' + w' x)`. Taking :math:`c' = -c`, :math:`w' = w` and
:math:`b' = b - 1` gives the ramp above, whose height is exactly :math:`c` and whose rise spans
one unit of :math:`b + w x`.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["hard_sigmoid"]


def hard_sigmoid(
    x: Tensor,
    *,
    c: float | Tensor,
    b: float | Tensor,
    w: float | Tensor,
) -> Tensor:
    r"""A ramp from 0 to :math:`c`, written as a sum of two ReLUs.

    .. math:: h(x) = c\max(0,\, b + w x) - c\max(0,\, b + w x - 1)

    Elementwise in ``x`` (the lecture's one-feature example); ``c``, ``b`` and ``w`` broadcast
    against ``x`` and may be tensors that require gradients.

    Args:
        x: inputs, any shape.
        c: height of the ramp.
        b: offset; the ramp rises where :math:`0 < b + w x < 1`.
        w: slope of :math:`b + w x`.

    Returns:
        :math:`h(x)`, with the broadcast shape of ``x``, ``c``, ``b`` and ``w``.
    """
    z = b + w * x  # b + w x
    return c * torch.relu(z) - c * torch.relu(z - 1)  # c max(0, z) - c max(0, z - 1)
