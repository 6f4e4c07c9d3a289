r"""Small DCGAN-style convolutional generator and discriminator for 8×8 images (scikit-learn's
digits, :func:`mllab.gan.digit_images.load_digit_images`) or 28×28 ones (Fashion-MNIST, where
installed: :func:`mllab.data.load_fashion_mnist`).

Radford et al., "Unsupervised Representation Learning with Deep Convolutional GANs",
arXiv:1511.06434, §3: strided (transposed) convolutions instead of pooling, batch norm in the
generator, ReLU in the generator with tanh at its output, leaky ReLU (slope 0.2) in the
discriminator, no fully connected hidden layers. For images of side S (8 or 28; any multiple
of 4) two stride-2 stages suffice, with s = S / 4 (2 for the digits, 7 for Fashion-MNIST):

.. code-block:: text

    G: z (B, z_dim) [; e(c)] --linear--> (B, 2C, s, s) --convT 4/2/1--> (B, C, 2s, 2s)
                             --convT 4/2/1--> (B, 1, S, S) --tanh
    D: x (B, 1, S, S) --conv 4/2/1--> (B, C, 2s, 2s) --conv 4/2/1--> (B, 2C, s, s)
                      --flatten--> phi (B, 2C·s²) --projection--> score (B,)

Differences from the paper: the generator's first layer is a linear map to a 2×2 map (the
paper's "project and reshape"), and the discriminator has **no** batch norm, so that it can be
a WGAN-GP critic (the penalty is per sample, which batch norm would break; WGAN-GP §4) or be
spectrally normalized; conditioning by :mod:`mllab.gan.projection`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.gan.projection import ConcatEmbedding, ProjectionHead
from mllab.gan.spectral_norm import spectral_normalize_all

__all__ = ["DCGANConfig", "DCGANDiscriminator", "DCGANGenerator"]


@dataclass
class DCGANConfig:
    r"""Shape of a :class:`DCGANGenerator` and a :class:`DCGANDiscriminator`."""

    channels: int = 1
    """Image channels (>= 1; the digits are grey)."""
    image_size: int = 8
    """S, the images' side: a multiple of 4 (>= 4): 8 for the digits, 28 for Fashion-MNIST."""
    z_dim: int = 16
    """Numbers in z (>= 1)."""
    width: int = 32
    """C, the channels of the 2s×2s stage; the s×s stage has 2C (>= 1)."""
    num_classes: int = 0
    """Classes to condition on (>= 0; 0 is unconditional)."""
    embedding_dim: int = 8
    """Size of the generator's class embedding (>= 1; used when conditional)."""

    def __post_init__(self) -> None:
        for name, minimum in (("channels", 1), ("z_dim", 1), ("width", 1), ("num_classes", 0),
                              ("embedding_dim", 1)):
            require_int(name, getattr(self, name), minimum)
        require_int("image_size", self.image_size, 4)
        require(self.image_size % 4 == 0, "image_size", "a multiple of 4", self.image_size)

    @property
    def base(self) -> int:
        r"""s = S / 4, the side of the smallest stage."""
        return self.image_size // 4


class DCGANGenerator(nn.Module):
    r""":math:`G(z[, c])`: ``(B, z_dim)`` (and labels ``(B,)``) to images ``(B, channels, S, S)``
    in :math:`[-1, 1]`."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        C, s = config.width, config.base
        self.condition = ConcatEmbedding(config.num_classes, config.embedding_dim)
        self.project = nn.Sequential(nn.Linear(config.z_dim + self.condition.dim, 2 * C * s * s),
                                     nn.BatchNorm1d(2 * C * s * s), nn.ReLU())
        self.body = nn.Sequential(
            nn.ConvTranspose2d(2 * C, C, 4, stride=2, padding=1), nn.BatchNorm2d(C), nn.ReLU(),
            nn.ConvTranspose2d(C, config.channels, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        s = self.config.base
        h = self.project(self.condition(z, c))  # (B, 2C·s·s)
        h = h.view(len(z), 2 * self.config.width, s, s)  # (B, 2C, s, s)
        return self.body(h)  # (B, channels, S, S)


class DCGANDiscriminator(nn.Module):
    r""":math:`D(x[, c])`: images ``(B, channels, S, S)`` (and labels) to scores ``(B,)``."""

    def __init__(self, config: DCGANConfig, *, spectral_norm: bool = False,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.config = config
        C, s = config.width, config.base
        self.phi = nn.Sequential(
            nn.Conv2d(config.channels, C, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(C, 2 * C, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten())  # (B, 2C·s·s)
        self.head = ProjectionHead(2 * C * s * s, config.num_classes)
        if spectral_norm:
            spectral_normalize_all(self, generator)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        S = self.config.image_size
        shape = (self.config.channels, S, S)
        if x.shape[1:] != shape:
            raise ValueError(f"images must be (B, {', '.join(map(str, shape))}), got "
                             f"{tuple(x.shape)}")
        return self.head(self.phi(x), c)  # (B,)
