r"""CycleGAN: unpaired translation between two domains kept faithful by a cycle (Zhu et al.,
"Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
arXiv:1703.10593).

The lecture: with unpaired data a generator :math:`G: X \to Y` trained only against a
discriminator :math:`D_Y` learns to output *something* of domain :math:`Y`, unrelated to its
input. CycleGAN adds the way back, :math:`F: Y \to X`, with its own discriminator
:math:`D_X`, and asks that the round trips return the input, Eq. (2):

.. math::
    \mathcal{L}_{cyc}(G, F) = \mathbb{E}_x \|F(G(x)) - x\|_1 + \mathbb{E}_y \|G(F(y)) - y\|_1

The full objective, Eq. (3), is
:math:`\mathcal{L}_{GAN}(G, D_Y) + \mathcal{L}_{GAN}(F, D_X) + \lambda \mathcal{L}_{cyc}`
(:math:`\lambda = 10`), and §5.2 adds an optional identity loss that keeps a generator
from changing what is already of its target domain,

.. math:: \mathcal{L}_{id}(G, F) = \mathbb{E}_y \|G(y) - y\|_1 + \mathbb{E}_x \|F(x) - x\|_1.

:math:`\|\cdot\|_1` is the mean absolute error over pixels, as in the paper's code.
:class:`CycleGAN` holds the four networks; the adversarial terms are any of
:mod:`mllab.gan`'s losses.

Differences from the paper: for 8×8 images the generators are three 3×3 convolutions with a
residual connection (:class:`Translator`) instead of a ResNet of downsampling, residual
blocks and upsampling, and the discriminators are :class:`~mllab.gan.dcgan.DCGANDiscriminator`
rather than 70×70 PatchGANs; the paper's least-squares adversarial loss is one choice among
the losses here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require_int
from mllab.gan.dcgan import DCGANConfig, DCGANDiscriminator

__all__ = ["CycleGAN", "CycleGANConfig", "Translator", "cycle_consistency_loss", "identity_loss"]


def cycle_consistency_loss(x: Tensor, x_cycled: Tensor, y: Tensor, y_cycled: Tensor) -> Tensor:
    r""":math:`\mathcal{L}_{cyc} = \mathbb{E}\|F(G(x)) - x\|_1 + \mathbb{E}\|G(F(y)) - y\|_1`
    (Eq. 2), with ``x_cycled`` = :math:`F(G(x))` and ``y_cycled`` = :math:`G(F(y))`."""
    return (x_cycled - x).abs().mean() + (y_cycled - y).abs().mean()  # Eq. (2)


def identity_loss(x: Tensor, F_x: Tensor, y: Tensor, G_y: Tensor) -> Tensor:
    r""":math:`\mathcal{L}_{id} = \mathbb{E}\|G(y) - y\|_1 + \mathbb{E}\|F(x) - x\|_1` (§5.2)."""
    return (G_y - y).abs().mean() + (F_x - x).abs().mean()


@dataclass
class CycleGANConfig:
    r"""Shape of a :class:`CycleGAN` for images ``(B, channels, 8, 8)`` in :math:`[-1, 1]`."""

    channels: int = 1
    """Image channels (>= 1)."""
    width: int = 32
    """Channels inside the translators and C of the discriminators (>= 1)."""

    def __post_init__(self) -> None:
        require_int("channels", self.channels, 1)
        require_int("width", self.width, 1)


class Translator(nn.Module):
    r"""An image-to-image generator: :math:`\tanh(x + r(x))`, in :math:`(-1, 1)`, with
    :math:`r` three 3×3 convolutions (ReLU between), size kept; ``(B, C, H, W)`` in and out."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, channels, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(x + self.residual(x))  # (B, C, H, W)


class CycleGAN(nn.Module):
    r"""The two generators :math:`G: X \to Y`, :math:`F: Y \to X` and the two discriminators
    :math:`D_X`, :math:`D_Y` (unconditional), with the cycle and identity losses."""

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__()
        self.config = config
        self.G = Translator(config.channels, config.width)
        self.F = Translator(config.channels, config.width)
        d = DCGANConfig(channels=config.channels, width=config.width)
        self.D_X, self.D_Y = DCGANDiscriminator(d), DCGANDiscriminator(d)

    def cycle_loss(self, x: Tensor, y: Tensor) -> Tensor:
        r""":math:`\mathcal{L}_{cyc}(G, F)` on batches ``x`` of X and ``y`` of Y (Eq. 2)."""
        return cycle_consistency_loss(x, self.F(self.G(x)), y, self.G(self.F(y)))

    def identity_loss(self, x: Tensor, y: Tensor) -> Tensor:
        r""":math:`\mathcal{L}_{id}(G, F)` on batches ``x`` of X and ``y`` of Y (§5.2)."""
        return identity_loss(x, self.F(x), y, self.G(y))
