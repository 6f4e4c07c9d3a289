r"""A small convolutional network for 8×8 digit images, the end of Lecture 8 (CNN).

The lecture's CNN alternates convolution and pooling, then flattens the feature maps into a
vector for fully connected layers and a softmax:

.. math::
    \text{image} \to \big[\mathrm{conv} \to \mathrm{ReLU} \to \mathrm{maxpool}_{2\times2}\big]
    \times L \to \mathrm{flatten} \to \mathrm{FC} \to \mathrm{ReLU} \to \mathrm{FC}
    \to \text{logits}

Each convolution pads by :math:`\lfloor k/2 \rfloor` zeros so the map keeps its size; each
2×2 max pool halves it (rounding down). With the defaults, 8×8 → 4×4 → 2×2, and one unit of
the last map sees a 10×10 region (:func:`mllab.nn.conv.receptive_field`): the whole digit.

Differences from the course: the softmax is left to the loss
(:func:`mllab.losses.cross_entropy` takes logits). The convolutions are ``nn.Conv2d`` and the
pooling ``nn.MaxPool2d``, PyTorch's fast kernels; :mod:`mllab.nn.conv` holds the lecture's
versions and the tests check that both give the same network output. Dropout (inverted, as in
:mod:`mllab.nn.mlp`) acts on the input of the output layer only.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from mllab.config import ConfigError, is_int, is_real, require, require_int

__all__ = ["CNN", "CNNConfig", "num_parameters"]


@dataclass
class CNNConfig:
    r"""Shape of a :class:`CNN`; the defaults fit scikit-learn's 8×8 digits."""

    in_channels: int = 1
    r"""Input channels :math:`C_{in}` (1 for grey digits, 3 for RGB); an integer >= 1."""

    image_size: int = 8
    r"""Side :math:`H = W` of the square input image; an integer >= 1."""

    channels: tuple[int, ...] = (16, 32)
    r"""Filters of each convolutional layer, from the input up; at least one, each >= 1."""

    kernel_size: int = 3
    r"""Side :math:`k` of every filter; an odd integer >= 1 so that padding keeps the size."""

    pool: bool = True
    r"""2×2 max pooling after each convolution; the image must stay at least 1×1."""

    hidden: int = 64
    r"""Units of the fully connected hidden layer after flatten; an integer >= 0 (0: none)."""

    num_classes: int = 10
    r"""Number of classes :math:`K` (logits per image); an integer >= 2."""

    dropout: float = 0.0
    r"""Drop probability before the output layer, in ``[0, 1)``; 0 disables it."""

    def __post_init__(self) -> None:
        require_int("in_channels", self.in_channels, 1)
        require_int("image_size", self.image_size, 1)
        require(isinstance(self.channels, tuple | list) and len(self.channels) > 0
                and all(is_int(c) and c >= 1 for c in self.channels), "channels",
                "a non-empty tuple of integers >= 1", self.channels)
        self.channels = tuple(self.channels)
        require_int("kernel_size", self.kernel_size, 1)
        require(self.kernel_size % 2 == 1, "kernel_size", "odd (padding k // 2 keeps the size)",
                self.kernel_size)
        require(isinstance(self.pool, bool), "pool", "True or False", self.pool)
        if self.pool and self.final_size < 1:
            max_layers = self.image_size.bit_length() - 1  # ⌊log2(image_size)⌋
            raise ConfigError(
                f"channels must have at most {max_layers} entries when pool=True and "
                f"image_size={self.image_size}: each 2x2 max pool halves the image, and "
                f"{len(self.channels)} pools shrink it below 1x1"
            )
        require_int("hidden", self.hidden, 0)
        require_int("num_classes", self.num_classes, 2)
        require(is_real(self.dropout) and 0.0 <= self.dropout < 1.0, "dropout",
                "a float in [0, 1)", self.dropout)

    @property
    def final_size(self) -> int:
        r"""Side of the last feature map: :math:`\lfloor H / 2^L \rfloor` with pooling, else H."""
        size = self.image_size
        for _ in self.channels if self.pool else ():
            size //= 2  # 2×2 max pool, stride 2, rounds down
        return size

    @property
    def flat_features(self) -> int:
        r"""Length of the flattened last feature map, :math:`C_L \cdot H_L \cdot W_L`."""
        return self.channels[-1] * self.final_size**2


class CNN(nn.Module):
    r"""``[Conv2d, ReLU, MaxPool2d?] × L``, flatten, ``[Linear, ReLU]?``, Dropout?, Linear.

    Args:
        config: the network's shape.

    Shapes:
        input ``(B, C_in, H, W)``, or ``(B, C_in*H*W)`` as flattened row-major images (the
        layout of ``load_dataset("digits")``); output logits ``(B, num_classes)``.
    """

    def __init__(self, config: CNNConfig) -> None:
        super().__init__()
        self.config = config
        k = config.kernel_size
        layers: list[nn.Module] = []
        c_in = config.in_channels
        for c_out in config.channels:
            layers.append(nn.Conv2d(c_in, c_out, k, padding=k // 2))  # shared filters
            layers.append(nn.ReLU())
            if config.pool:
                layers.append(nn.MaxPool2d(2))  # (H, W) → (⌊H/2⌋, ⌊W/2⌋)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = []
        n_in = config.flat_features
        if config.hidden > 0:
            head += [nn.Linear(n_in, config.hidden), nn.ReLU()]
            n_in = config.hidden
        if config.dropout > 0:
            head.append(nn.Dropout(config.dropout))
        head.append(nn.Linear(n_in, config.num_classes))  # logits
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        r"""Logits ``(B, num_classes)`` for images ``(B, C_in, H, W)`` or ``(B, C_in*H*W)``."""
        c = self.config
        if x.ndim == 2:
            x = x.reshape(x.shape[0], c.in_channels, c.image_size, c.image_size)  # (B, C, H, W)
        h = self.features(x)  # (B, C_L, H_L, W_L)
        h = h.flatten(1)  # (B, C_L*H_L*W_L)
        return self.classifier(h)  # (B, num_classes)


def num_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    r"""Number of scalar parameters of ``module`` (only those with ``requires_grad`` if asked)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
