r"""VQ-VAE's quantiser: each code vector replaced by its nearest codebook vector.

van den Oord et al., "Neural Discrete Representation Learning", arXiv:1711.00937, §3.1-3.2.
The auto-encoder lecture's discrete latent: a codebook :math:`e_1, \dots, e_K \in
\mathbb{R}^D` (learned), the encoder's output :math:`z_e(x)` replaced by the closest entry,

.. math:: k = \arg\min_j \lVert z_e(x) - e_j \rVert_2, \qquad z_q(x) = e_k
    \qquad \text{(Eq. 1-2)}

The ``argmin`` has no gradient; the decoder's gradient is copied to the encoder unchanged
(straight-through: :math:`z_q = z_e + \mathrm{sg}[e_k - z_e]`), and two terms train the rest
(Eq. 3):

.. math:: L = \log p(x \mid z_q(x)) + \lVert \mathrm{sg}[z_e(x)] - e \rVert_2^2
    + \beta \lVert z_e(x) - \mathrm{sg}[e] \rVert_2^2

the **codebook loss** moves the chosen vectors toward the encoder outputs, the **commitment
loss** (:math:`\beta = 0.25` in the paper) keeps the encoder near its codes. **Usage** (the
share of codebook vectors chosen at least once) and **perplexity** :math:`\exp(-\sum_j p_j \ln
p_j)` of the chosen codes' frequencies :math:`p_j` (:math:`K` when all are used evenly, 1 when
one is used) say how much of the codebook works.

Differences from the paper: the two squared norms are means over the entries (as
``F.mse_loss``), not sums, so :math:`\beta` keeps its meaning for any :math:`D`; no EMA
codebook updates (the paper's appendix variant).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require, require_int

__all__ = ["Quantized", "VectorQuantizer", "codebook_perplexity", "codebook_usage",
           "nearest_code"]


def nearest_code(z_e: Tensor, codebook: Tensor) -> Tensor:
    r""":math:`\arg\min_j \lVert z - e_j \rVert^2` for each row of ``z_e`` ``(N, D)`` and
    ``codebook`` ``(K, D)``: indices ``(N,)``.

    :math:`\lVert z - e_j \rVert^2 = \lVert z \rVert^2 - 2 z^\top e_j + \lVert e_j \rVert^2`,
    one matrix product (``torch.addmm``); ties go to the lowest index."""
    d = torch.addmm((codebook * codebook).sum(1)[None, :], z_e, codebook.T, alpha=-2.0)
    d += (z_e * z_e).sum(1, keepdim=True)  # (N, K) squared distances, in place: no 2nd (N, K)
    return d.argmin(1)


def codebook_usage(indices: Tensor, num_codes: int) -> float:
    r"""The share of the :math:`K` codebook vectors that ``indices`` chose at least once."""
    return torch.unique(indices).numel() / num_codes


def codebook_perplexity(indices: Tensor, num_codes: int) -> float:
    r""":math:`\exp(-\sum_j p_j \ln p_j)` of the frequencies :math:`p_j` of each code in
    ``indices``; between 1 (one code) and :math:`K` (all equally often)."""
    p = torch.bincount(indices.flatten(), minlength=num_codes).double()
    p = p / p.sum()
    entropy = -(p * torch.log(p.clamp_min(1e-300))).sum()  # 0 log 0 = 0
    return float(entropy.exp())


@dataclass(frozen=True)
class Quantized:
    r"""What :class:`VectorQuantizer` returns."""

    z_q: Tensor
    r""":math:`z_e + \mathrm{sg}[e_k - z_e]`: the value of :math:`e_k` (to rounding), the
    gradient of :math:`z_e` (same shape as the input)."""
    indices: Tensor
    r""":math:`k` of each vector (the input's shape without its last dimension)."""
    codebook_loss: Tensor
    r""":math:`\lVert \mathrm{sg}[z_e] - e_k \rVert^2` (mean over entries); trains the codebook."""
    commitment_loss: Tensor
    r""":math:`\lVert z_e - \mathrm{sg}[e_k] \rVert^2` (mean), unweighted; trains the encoder."""
    loss: Tensor
    r"""``codebook_loss + beta * commitment_loss``: Eq. 3 without the reconstruction term."""


class VectorQuantizer(nn.Module):
    r"""A codebook of ``num_codes`` vectors of size ``dim`` (initialised uniform in
    :math:`\pm 1/K`), and the quantisation of Eq. 1-3 (module docstring)."""

    def __init__(self, num_codes: int, dim: int, beta: float = 0.25) -> None:
        super().__init__()
        require_int("num_codes", num_codes, 1)
        require_int("dim", dim, 1)
        require(beta >= 0, "beta", ">= 0", beta)
        self.num_codes, self.dim, self.beta = num_codes, dim, beta
        self.codebook = nn.Parameter(torch.empty(num_codes, dim).uniform_(-1 / num_codes,
                                                                          1 / num_codes))

    def forward(self, z_e: Tensor) -> Quantized:
        r"""Quantise ``z_e`` ``(..., D)``."""
        require(z_e.shape[-1] == self.dim, "z_e", f"of last dimension {self.dim}",
                tuple(z_e.shape))
        flat = z_e.reshape(-1, self.dim)  # (N, D)
        k = nearest_code(flat.detach(), self.codebook.detach())  # (N,), Eq. 2
        e_k = self.codebook[k].view_as(z_e)  # (..., D)
        codebook_loss = F.mse_loss(e_k, z_e.detach())  # ||sg[z_e] - e||²
        commitment_loss = F.mse_loss(z_e, e_k.detach())  # ||z_e - sg[e]||²
        z_q = z_e + (e_k - z_e).detach()  # straight-through
        return Quantized(z_q=z_q, indices=k.view(z_e.shape[:-1]), codebook_loss=codebook_loss,
                         commitment_loss=commitment_loss,
                         loss=codebook_loss + self.beta * commitment_loss)
