r"""A deep network (multilayer perceptron) with dropout, the end of Lecture 1.

The course repeats the sigmoid/ReLU layer: the activations :math:`a^{(l)}` of one layer are the
inputs of the next,

.. math::
    a^{(0)} = x, \qquad
    a^{(l)} = \mathrm{dropout}\big(\phi(b^{(l)} + W^{(l)} a^{(l-1)})\big),\ l = 1, \dots, L,
    \qquad y = b^{(L+1)} + W^{(L+1)} a^{(L)}

with :math:`L` = ``depth`` hidden layers of ``width`` units (one width for all, or one per
layer: the course's sample network for its first homework is in→16→8→1), activation
:math:`\phi` (ReLU, sigmoid or tanh) and dropout with drop probability :math:`p` in training
mode only. With
``depth=0`` it is the linear model; with ``depth=1`` the sum of sigmoids / ReLUs.

Differences from the course: dropout is the PyTorch "inverted" kind, which scales the kept units
by :math:`1/(1-p)` during training so that evaluation needs no rescaling. When
``out_features == 1`` the output is squeezed to ``(B,)`` for regression; otherwise the network
returns ``(B, out_features)`` logits for :func:`mllab.losses.cross_entropy`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from torch import Tensor, nn

from mllab.config import ConfigError, is_real, require, require_int, shorten

__all__ = ["ACTIVATIONS", "MLP", "MLPConfig"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}
r"""Activation :math:`\phi` by name."""


@dataclass
class MLPConfig:
    r"""Shape of an :class:`MLP`."""

    in_features: int
    r"""Number of input features :math:`C`; an integer >= 1."""

    out_features: int = 1
    r"""Number of outputs; 1 gives a ``(B,)`` regression output, more give ``(B, out)`` logits."""

    depth: int = 1
    r"""Number of hidden layers :math:`L`; an integer >= 0 (0 is the linear model)."""

    width: int | tuple[int, ...] = 32
    r"""Units per hidden layer: an integer >= 1 for all of them, or one integer >= 1 per
    hidden layer (``depth`` entries), e.g. ``depth=2, width=(16, 8)``."""

    activation: str = "relu"
    r"""Hidden-layer activation :math:`\phi`: ``"relu"``, ``"sigmoid"`` or ``"tanh"``."""

    dropout: float = 0.0
    r"""Drop probability :math:`p` after each hidden activation, in ``[0, 1)``; 0 disables it."""

    @property
    def widths(self) -> tuple[int, ...]:
        r"""The width of each hidden layer, in order (``depth`` entries)."""
        return self.width if isinstance(self.width, tuple) else (self.width,) * self.depth

    def __post_init__(self) -> None:
        require_int("in_features", self.in_features, 1)
        require_int("out_features", self.out_features, 1)
        require_int("depth", self.depth, 0)
        if isinstance(self.width, tuple):
            require(len(self.width) == self.depth, "width",
                    f"an integer or {self.depth} integers (one per hidden layer, depth="
                    f"{self.depth})", self.width)
            for w in self.width:
                require_int("width", w, 1)
        else:
            require_int("width", self.width, 1)
        require(self.activation in ACTIVATIONS, "activation",
                f"one of {sorted(ACTIVATIONS)}", self.activation)
        require(is_real(self.dropout) and 0.0 <= self.dropout < 1.0, "dropout",
                "a float in [0, 1)", self.dropout)


def _check_fits_in_memory(config: MLPConfig) -> None:
    r"""Refuse, before allocating, a network whose float32 weights and gradients alone exceed
    this machine's memory (a width of 10**9, say, which the kernel would kill the process for)."""
    sizes = (config.in_features, *config.widths, config.out_features)
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:], strict=False))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if 8 * parameters > memory:
        raise ConfigError(f"width {shorten(config.widths)} makes {parameters:.3g} parameters, "
                          f"whose weights and gradients need {8 * parameters / 2**30:.3g} GiB, "
                          f"more than this machine's {memory / 2**30:.0f} GiB of memory; "
                          f"choose smaller widths")


class MLP(nn.Module):
    r"""``depth`` hidden layers (Linear, activation, Dropout if :math:`p > 0`), then a Linear.

    Args:
        config: the network's shape.

    Shapes:
        input ``(B, C)``; output ``(B,)`` when ``out_features == 1``, else ``(B, out_features)``.
    """

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        _check_fits_in_memory(config)
        layers: list[nn.Module] = []
        n_in = config.in_features
        for width in config.widths:
            layers.append(nn.Linear(n_in, width))  # b^(l) + W^(l) a^(l-1)
            layers.append(ACTIVATIONS[config.activation]())  # φ
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            n_in = width
        layers.append(nn.Linear(n_in, config.out_features))  # y = b + W a^(L)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        r"""Map a batch ``x`` of shape ``(B, C)`` through the hidden layers to the output."""
        y = self.layers(x)  # (B, out_features)
        if self.config.out_features == 1:
            y = y.squeeze(-1)  # (B,)
        return y
