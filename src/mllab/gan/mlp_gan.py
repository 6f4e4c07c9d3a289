r"""A generator and a discriminator (or critic) for 2-D data: MLPs, as in the lecture's
pictures of :math:`P_G` moving towards :math:`P_{data}` in the plane.

:class:`MLPGenerator` maps :math:`z \sim \mathcal{N}(0, I)` (``z_dim`` numbers), with a class
embedding concatenated where conditional, through ``depth`` ReLU layers of ``width`` units to
a point of ``data_dim`` numbers (no output activation: the data are unbounded).
:class:`MLPDiscriminator` maps a point through ``depth`` leaky-ReLU layers to features
:math:`\phi` and a score through :class:`~mllab.gan.projection.ProjectionHead` (a logit for
the minimax losses, a critic value for WGAN). With ``spectral_norm`` every linear layer is
spectrally normalized (:mod:`mllab.gan.spectral_norm`).

Differences from the papers: the original GAN used maxout discriminators; small ReLU/leaky-ReLU
MLPs are what the 2-D studies since (Unrolled GAN, VEEGAN, PacGAN) use.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require_int
from mllab.gan.projection import ConcatEmbedding, ProjectionHead
from mllab.gan.spectral_norm import spectral_normalize_all

__all__ = ["MLPDiscriminator", "MLPGANConfig", "MLPGenerator"]


@dataclass
class MLPGANConfig:
    r"""Shape of an :class:`MLPGenerator` and an :class:`MLPDiscriminator`."""

    data_dim: int = 2
    """Numbers per data point (>= 1)."""
    z_dim: int = 2
    """Numbers in the generator's input z (>= 1)."""
    width: int = 64
    """Units per hidden layer (>= 1)."""
    depth: int = 2
    """Hidden layers (>= 1)."""
    num_classes: int = 0
    """Classes to condition on (>= 0; 0 is unconditional)."""
    embedding_dim: int = 8
    """Size of the generator's class embedding (>= 1; used when conditional)."""

    def __post_init__(self) -> None:
        for name, minimum in (("data_dim", 1), ("z_dim", 1), ("width", 1), ("depth", 1),
                              ("num_classes", 0), ("embedding_dim", 1)):
            require_int(name, getattr(self, name), minimum)


def _layers(n_in: int, width: int, depth: int, activation: type[nn.Module]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), activation()]
    return layers


class MLPGenerator(nn.Module):
    r""":math:`G(z[, c])`: ``(B, z_dim)`` (and labels ``(B,)``) to points ``(B, data_dim)``."""

    def __init__(self, config: MLPGANConfig) -> None:
        super().__init__()
        self.config = config
        self.condition = ConcatEmbedding(config.num_classes, config.embedding_dim)
        self.body = nn.Sequential(
            *_layers(config.z_dim + self.condition.dim, config.width, config.depth, nn.ReLU),
            nn.Linear(config.width, config.data_dim))

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.body(self.condition(z, c))  # (B, data_dim)


class MLPDiscriminator(nn.Module):
    r""":math:`D(x[, c])`: points ``(B, data_dim)`` (and labels) to scores ``(B,)``."""

    def __init__(self, config: MLPGANConfig, *, spectral_norm: bool = False,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.config = config
        self.phi = nn.Sequential(*_layers(config.data_dim, config.width, config.depth,
                                          lambda: nn.LeakyReLU(0.2)))
        self.head = ProjectionHead(config.width, config.num_classes)
        if spectral_norm:
            spectral_normalize_all(self, generator)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.phi(x), c)  # (B,)

