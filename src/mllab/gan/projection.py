r"""Conditioning on a class: the generator's concatenated class embedding and the projection
discriminator.

The lecture's conditional GAN: the generator receives the condition :math:`c` beside
:math:`z`, and the discriminator judges both realness and the match of :math:`x` with
:math:`c`. Two standard ways:

- **concatenation** (Mirza and Osindero, arXiv:1411.1784): the input becomes
  :math:`[z; e(c)]` with a learned class embedding :math:`e` (:class:`ConcatEmbedding`);
- **projection** (Miyato and Koyama, "cGANs with Projection Discriminator",
  arXiv:1802.05637, Eq. (3)): with features :math:`\phi(x)` of the discriminator's body and
  its unconditional output :math:`\psi(\phi(x))`,

  .. math:: D(x, c) = \psi(\phi(x)) + e(c)^\top \phi(x),

  an inner product between a class embedding and the features (:class:`ProjectionHead`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.config import require_int

__all__ = ["ConcatEmbedding", "ProjectionHead"]


class ConcatEmbedding(nn.Module):
    r""":math:`(z, c) \mapsto [z; e(c)]` with a learned embedding :math:`e` of ``num_classes``
    classes into ``dim`` numbers; ``num_classes = 0`` passes :math:`z` through."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        require_int("num_classes", num_classes, 0)
        self.num_classes = num_classes
        self.dim = dim if num_classes else 0
        self.embedding = nn.Embedding(num_classes, dim) if num_classes else None

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        if self.embedding is None:
            if c is not None:
                raise ValueError("this network is unconditional: pass no class labels")
            return z
        if c is None:
            raise ValueError(f"this network is conditional on {self.num_classes} classes: pass "
                             f"their labels")
        return torch.cat([z, self.embedding(c)], dim=1)  # (B, C_z + dim)


class ProjectionHead(nn.Module):
    r""":math:`D(x, c) = \psi(\phi) + e(c)^\top \phi` on features :math:`\phi` ``(B, C)``
    (Eq. 3); ``num_classes = 0`` gives :math:`\psi(\phi)` alone. Returns scores ``(B,)``."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        require_int("features", features, 1)
        require_int("num_classes", num_classes, 0)
        self.num_classes = num_classes
        self.psi = nn.Linear(features, 1)
        self.embedding = nn.Embedding(num_classes, features) if num_classes else None

    def forward(self, phi: Tensor, c: Tensor | None = None) -> Tensor:
        out = self.psi(phi).squeeze(1)  # (B,)
        if self.embedding is None:
            if c is not None:
                raise ValueError("this discriminator is unconditional: pass no class labels")
            return out
        if c is None:
            raise ValueError(f"this discriminator is conditional on {self.num_classes} classes: "
                             f"pass their labels")
        return out + (self.embedding(c) * phi).sum(1)  # Eq. (3)
