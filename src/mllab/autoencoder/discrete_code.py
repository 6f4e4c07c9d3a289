r"""Discrete codes: binary and one-hot bottlenecks trained with the straight-through estimator.

The auto-encoder lecture asks whether the code must be a real vector: it can be **binary**
(each dimension says whether a feature is present: easier to interpret) or **one-hot** (the
code picks one of :math:`k` classes: clustering without labels). Thresholding and ``argmax``
have zero gradient almost everywhere, so training uses the **straight-through estimator**
(Bengio et al., arXiv:1308.3432): the forward pass uses the hard code :math:`h`, the backward
pass the gradient of a soft relaxation :math:`s`,

.. math:: c = s + \mathrm{sg}[h - s], \qquad c = h, \quad
    \frac{\partial c}{\partial z} = \frac{\partial s}{\partial z},

with :math:`\mathrm{sg}` the stop-gradient (``detach``):

- :func:`binary_code`: :math:`h = [z > 0]`, :math:`s = \sigma(z)`;
- :func:`one_hot_code`: :math:`h = \mathrm{onehot}(\arg\max_j z_j)`,
  :math:`s = \mathrm{softmax}(z / \tau)`.

:class:`DiscreteAutoencoder` puts one of them between an MLP encoder and decoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.autoencoder.autoencoder import mlp_stack
from mllab.config import require, require_int

__all__ = ["CODES", "DiscreteAutoencoder", "binary_code", "one_hot_code", "straight_through"]

CODES = ("binary", "one_hot")
r"""The discrete codes :class:`DiscreteAutoencoder` knows."""


def straight_through(hard: Tensor, soft: Tensor) -> Tensor:
    r""":math:`s + \mathrm{sg}[h - s]`: the value of ``hard``, the gradient of ``soft``."""
    return soft + (hard - soft).detach()


def binary_code(z: Tensor) -> Tensor:
    r"""A code in :math:`\{0, 1\}`: :math:`h = [z > 0]` forward, :math:`\partial\sigma(z)/
    \partial z` backward."""
    return straight_through((z > 0).to(z.dtype), torch.sigmoid(z))


def one_hot_code(z: Tensor, tau: float = 1.0) -> Tensor:
    r"""A one-hot code over the last dimension: :math:`\mathrm{onehot}(\arg\max_j z_j)`
    forward, the gradient of :math:`\mathrm{softmax}(z/\tau)` backward."""
    require(tau > 0, "tau", "> 0", tau)
    hard = F.one_hot(z.argmax(-1), z.shape[-1]).to(z.dtype)
    return straight_through(hard, torch.softmax(z / tau, dim=-1))


class DiscreteAutoencoder(nn.Module):
    r"""An MLP auto-encoder whose code is binary (``code_size`` bits) or one-hot (one of
    ``code_size`` classes), trained through :func:`straight_through`."""

    def __init__(self, in_features: int, code_size: int, hidden: Sequence[int] = (32,),
                 code: str = "binary", activation: str = "relu") -> None:
        super().__init__()
        require_int("in_features", in_features, 1)
        require_int("code_size", code_size, 1)
        require(code in CODES, "code", f"one of {CODES}", code)
        self.code, self.code_size = code, code_size
        self.encoder = mlp_stack([in_features, *hidden, code_size], activation)
        self.decoder = mlp_stack([code_size, *reversed(hidden), in_features], activation)

    def encode(self, x: Tensor) -> Tensor:
        r"""The discrete code ``(B, code_size)`` (0/1 entries, or one 1 per row)."""
        z = self.encoder(x)  # (B, k) logits
        return binary_code(z) if self.code == "binary" else one_hot_code(z)

    def decode(self, c: Tensor) -> Tensor:
        return self.decoder(c)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))
