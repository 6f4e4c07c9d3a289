r"""The auto-encoder: an encoder squeezes the input into a small code, a decoder rebuilds it.

The auto-encoder lecture's picture: an image :math:`x` goes into the **encoder**, comes out as
a low-dimensional vector :math:`c = e(x)` (the *code*, the *bottleneck*, the *embedding*), and
the **decoder** turns it back into :math:`\hat x = d(c)`; both are trained together so that
the output is as close as possible to the input (self-supervised: no labels),

.. math:: \min_{e, d} \frac1N \sum_n \lVert x_n - d(e(x_n)) \rVert^2 .

The code is the "more compact representation" that a downstream task then uses; the decoder
alone, fed new codes, is a generator. With linear maps and no activation, the optimum spans
the same subspace as PCA's leading components (Baldi & Hornik, 1989): the tests check it.

- :class:`MLPAutoencoder`: fully connected encoder and decoder of chosen widths (``hidden=()``
  gives the linear auto-encoder);
- :class:`ConvAutoencoder`: a small convolutional one for the 8x8 digits (stride-2 convolutions
  down to 2x2, transposed convolutions back up), the code a vector of chosen size.

Both expose ``encode``, ``decode`` and ``forward`` (the reconstruction); the code has shape
``(B, code_size)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.nn.mlp import ACTIVATIONS

__all__ = ["ConvAutoencoder", "MLPAutoencoder", "mlp_stack", "reconstruction_error"]


def mlp_stack(sizes: Sequence[int], activation: str = "relu") -> nn.Sequential:
    r"""Linear layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``, :math:`\phi` between them
    (none after the last)."""
    require(activation in ACTIVATIONS, "activation", f"one of {sorted(ACTIVATIONS)}", activation)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def reconstruction_error(x: Tensor, x_hat: Tensor) -> Tensor:
    r"""Each example's squared error :math:`\lVert x_n - \hat x_n \rVert^2` (summed over all but
    the batch dimension), shape ``(B,)``."""
    return (x - x_hat).square().flatten(1).sum(1)


class MLPAutoencoder(nn.Module):
    r""":math:`\hat x = d(e(x))` with fully connected :math:`e: \mathbb{R}^C \to
    \mathbb{R}^k` and :math:`d: \mathbb{R}^k \to \mathbb{R}^C` (mirrored widths).

    Args:
        in_features: :math:`C`, the input's size (64 for the 8x8 digits).
        code_size: :math:`k`, the bottleneck's size.
        hidden: the encoder's hidden widths; the decoder uses them reversed. ``()`` is the
            linear auto-encoder :math:`\hat x = W_d (W_e x + b_e) + b_d`.
        activation: :math:`\phi` between hidden layers (``relu``, ``sigmoid``, ``tanh``).
    """

    def __init__(self, in_features: int, code_size: int, hidden: Sequence[int] = (),
                 activation: str = "relu") -> None:
        super().__init__()
        require_int("in_features", in_features, 1)
        require_int("code_size", code_size, 1)
        for w in hidden:
            require_int("hidden", w, 1)
        self.in_features, self.code_size = in_features, code_size
        self.encoder = mlp_stack([in_features, *hidden, code_size], activation)
        self.decoder = mlp_stack([code_size, *reversed(hidden), in_features], activation)

    def encode(self, x: Tensor) -> Tensor:
        r""":math:`c = e(x)`: ``(B, C) -> (B, k)``."""
        return self.encoder(x)

    def decode(self, c: Tensor) -> Tensor:
        r""":math:`\hat x = d(c)`: ``(B, k) -> (B, C)``."""
        return self.decoder(c)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
    r"""A small convolutional auto-encoder for ``(B, 1, 8, 8)`` images.

    Encoder: conv 3x3 stride 2 (8x8 -> 4x4, ``channels`` maps), conv 3x3 stride 2 (4x4 -> 2x2,
    ``2 * channels``), flatten, linear to the code :math:`k`. Decoder: linear back to
    ``(2 * channels, 2, 2)``, two transposed convolutions 4x4 stride 2 (2x2 -> 4x4 -> 8x8), the
    last one linear.
    """

    def __init__(self, code_size: int, channels: int = 16, in_channels: int = 1,
                 size: int = 8) -> None:
        super().__init__()
        require_int("code_size", code_size, 1)
        require_int("channels", channels, 1)
        require_int("in_channels", in_channels, 1)
        require(isinstance(size, int) and size >= 4 and size % 4 == 0, "size",
                "a multiple of 4 (>= 4)", size)
        self.code_size, c, s = code_size, channels, size // 4
        self.shape = (2 * c, s, s)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, stride=2, padding=1), nn.ReLU(),  # (B, c, H/2, W/2)
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),  # (B, 2c, H/4, W/4)
            nn.Flatten(), nn.Linear(2 * c * s * s, code_size))  # (B, k)
        self.project = nn.Linear(code_size, 2 * c * s * s)
        self.decoder = nn.Sequential(
            nn.ReLU(), nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, in_channels, 4, stride=2, padding=1))  # (B, 1, H, W)

    def encode(self, x: Tensor) -> Tensor:
        r""":math:`c = e(x)`: ``(B, 1, H, W) -> (B, k)``."""
        return self.encoder(x)

    def decode(self, c: Tensor) -> Tensor:
        r""":math:`\hat x = d(c)`: ``(B, k) -> (B, 1, H, W)``."""
        h = self.project(c).view(-1, *self.shape)  # (B, 2c, H/4, W/4)
        return self.decoder(h)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))
