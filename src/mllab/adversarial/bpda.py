r"""BPDA, the backward pass differentiable approximation (Athalye et al., arXiv:1802.00420,
§4.1): an attacker who knows a defence that has no useful gradient (rounding, say) runs it
forward and treats it as the identity backward,

.. math:: \hat D(x) = x + \operatorname{stop\_gradient}\big(D(x) - x\big),

so the gradient of :math:`f(\hat D(x))` is that of :math:`f` at :math:`D(x)`: the adaptive
attacker of the lecture's "they help much less against an attacker who knows them".
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

__all__ = ["bpda"]


def bpda(defence: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    r"""``defence`` forward, the identity backward."""

    def approximated(x: Tensor) -> Tensor:
        return x + (defence(x) - x).detach()  # D(x) forward, dD/dx = I backward

    return approximated
