r"""VQ-VAE: an auto-encoder whose code is a few codebook indices.

van den Oord et al., arXiv:1711.00937. The encoder maps :math:`x` to :math:`M` vectors
:math:`z_e(x) \in \mathbb{R}^{M \times D}`; :class:`~mllab.autoencoder.vector_quantizer.
VectorQuantizer` replaces each by its nearest codebook vector; the decoder rebuilds
:math:`x` from :math:`z_q(x)`. The code is :math:`M` indices in :math:`\{1..K\}`, i.e.
:math:`M \log_2 K` bits. Loss (Eq. 3, with a Gaussian decoder of fixed variance, so
:math:`-\log p(x \mid z_q)` is the squared error up to constants):

.. math:: L = \lVert x - d(z_q(x)) \rVert^2 + \lVert \mathrm{sg}[z_e] - e \rVert^2
    + \beta \lVert z_e - \mathrm{sg}[e] \rVert^2

Differences from the paper: MLP encoder and decoder (the paper's are convolutional, its
:math:`z_e` a feature map); the reconstruction term is the mean squared error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from mllab.autoencoder.autoencoder import mlp_stack
from mllab.autoencoder.vector_quantizer import Quantized, VectorQuantizer
from mllab.config import require_int

__all__ = ["VQVAE", "VQVAEOutput"]


@dataclass(frozen=True)
class VQVAEOutput:
    r"""The reconstruction, the quantisation, and Eq. 3's loss."""

    x_hat: Tensor
    quantized: Quantized
    reconstruction_loss: Tensor
    loss: Tensor
    r"""reconstruction + codebook + β · commitment."""


class VQVAE(nn.Module):
    r"""MLP encoder to ``num_vectors`` x ``dim``, a codebook of ``num_codes``, MLP decoder."""

    def __init__(self, in_features: int, num_vectors: int = 2, dim: int = 8,
                 num_codes: int = 16, hidden: Sequence[int] = (64,), beta: float = 0.25,
                 activation: str = "relu") -> None:
        super().__init__()
        require_int("in_features", in_features, 1)
        require_int("num_vectors", num_vectors, 1)
        self.num_vectors, self.dim = num_vectors, dim
        self.encoder = mlp_stack([in_features, *hidden, num_vectors * dim], activation)
        self.quantizer = VectorQuantizer(num_codes, dim, beta)
        self.decoder = mlp_stack([num_vectors * dim, *reversed(hidden), in_features], activation)

    def encode(self, x: Tensor) -> Tensor:
        r""":math:`z_e(x)`: ``(B, C) -> (B, M, D)``."""
        return self.encoder(x).view(-1, self.num_vectors, self.dim)  # (B, M, D)

    def decode(self, z_q: Tensor) -> Tensor:
        r""":math:`\hat x = d(z_q)`: ``(B, M, D) -> (B, C)``."""
        return self.decoder(z_q.flatten(1))  # (B, M·D) -> (B, C)

    def decode_indices(self, indices: Tensor) -> Tensor:
        r"""The decoder as a generator: ``(B, M)`` codebook indices to ``(B, C)``."""
        return self.decode(self.quantizer.codebook[indices])  # (B, M, D) -> (B, C)

    def forward(self, x: Tensor) -> VQVAEOutput:
        q = self.quantizer(self.encode(x))
        x_hat = self.decode(q.z_q)
        rec = F.mse_loss(x_hat, x)
        return VQVAEOutput(x_hat=x_hat, quantized=q, reconstruction_loss=rec, loss=rec + q.loss)
