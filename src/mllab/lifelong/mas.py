r"""Memory aware synapses (Life-long Learning lecture; Aljundi et al., arXiv:1711.09601,
Eqs. 3-4).

A parameter's importance is how much the learned function's output moves when it moves,
measured on unlabelled data (no loss, no labels):

.. math:: \Omega_i = \frac{1}{N}\sum_{n=1}^N
    \Big|\frac{\partial\, \lVert f(x_n; \theta)\rVert_2^2}{\partial \theta_i}\Big|,
    \qquad
    L(\theta) = L_B(\theta) + \lambda \sum_i \Omega_i (\theta_i - \theta^*_i)^2
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from mllab.lifelong.quadratic_penalty import Consolidation, snapshot

__all__ = ["mas", "mas_importance"]


def mas_importance(model: nn.Module, x: Tensor) -> dict[str, Tensor]:
    r""":math:`\Omega_i` on inputs ``x`` ``(N, ...)``: per-example gradients of the squared
    :math:`L_2` norm of the output, in absolute value, averaged."""
    params = {n: p.detach() for n, p in model.named_parameters()}

    def squared_norm(p: dict[str, Tensor], xn: Tensor) -> Tensor:
        return (functional_call(model, p, (xn.unsqueeze(0),)) ** 2).sum()

    per_example = vmap(grad(squared_norm), in_dims=(None, 0))(params, x)  # (N, ...)
    return {n: g.abs().mean(0) for n, g in per_example.items()}


def mas(model: nn.Module, omega: dict[str, Tensor], lam: float) -> Consolidation:
    r"""The MAS penalty :math:`\lambda\sum_i\Omega_i(\theta_i - \theta^*_i)^2`, anchored at
    ``model``'s parameters now."""
    return Consolidation(snapshot(model), omega, lam)
