r"""The deep "sawtooth": a ReLU network of width 2 whose pieces double with every layer (Why
Deep lecture; Telgarsky, arXiv:1509.08101; Montúfar et al., arXiv:1402.1869).

The tent map on :math:`[0, 1]` is two ReLUs:

.. math:: g(x) = 2\,\mathrm{ReLU}(x) - 4\,\mathrm{ReLU}(x - \tfrac12)
    = \begin{cases} 2x & x \le \tfrac12 \\ 2 - 2x & x > \tfrac12 \end{cases}

and its :math:`L`-fold composition :math:`g^L` has :math:`2^L` linear pieces
(:math:`2^{L-1}` teeth) with :math:`2L` ReLUs, while one hidden layer of :math:`n` ReLUs has
at most :math:`n + 1` pieces on a line: a shallow network needs :math:`2^L - 1` ReLUs.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["sawtooth"]


def sawtooth(depth: int) -> nn.Sequential:
    r""":math:`g^{L}` for ``depth`` :math:`= L \ge 1` as Linear/ReLU layers of width 2;
    ``(B, 1)`` -> ``(B, 1)``."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth!r}")
    first = nn.Linear(1, 2)
    layers: list[nn.Module] = [first, nn.ReLU()]
    for _ in range(depth - 1):  # next pre-activations: g(x) - (0, 1/2), g(x) = 2 h1 - 4 h2
        layers += [nn.Linear(2, 2), nn.ReLU()]
    layers.append(nn.Linear(2, 1))
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0], [1.0]]))
        first.bias.copy_(torch.tensor([0.0, -0.5]))
        for hidden in layers[2:-1:2]:
            hidden.weight.copy_(torch.tensor([[2.0, -4.0], [2.0, -4.0]]))
            hidden.bias.copy_(torch.tensor([0.0, -0.5]))
        layers[-1].weight.copy_(torch.tensor([[2.0, -4.0]]))
        layers[-1].bias.zero_()
    return nn.Sequential(*layers)
