r"""Spectral normalization by power iteration (Miyato et al., "Spectral Normalization for
Generative Adversarial Networks", arXiv:1802.05957).

The third way the lecture lists to keep the critic smooth. A linear layer :math:`h \mapsto Wh`
is :math:`\sigma(W)`-Lipschitz, :math:`\sigma(W)` its largest singular value (the spectral
norm), and 1-Lipschitz activations (ReLU, leaky ReLU) keep a bound, so dividing every weight
by its spectral norm,

.. math:: \bar W_{SN} = W / \sigma(W)   \qquad \text{(Eq. 8)}

bounds the whole network's Lipschitz constant by 1. :math:`\sigma(W)` is estimated by power
iteration (Algorithm 1), one step per forward pass in training mode, reusing the vectors of
the previous step, which is enough because :math:`W` changes little between updates:

.. math::
    u \leftarrow \frac{W v}{\|W v\|_2}, \qquad
    v \leftarrow \frac{W^\top u}{\|W^\top u\|_2}, \qquad
    \sigma(W) \approx u^\top W v

A convolution's kernel ``(C_out, C_in, kH, kW)`` is reshaped to the matrix
``(C_out, C_in·kH·kW)``, as in the paper (§3.1).

Differences from the paper: Algorithm 1 keeps only :math:`u` and updates :math:`v` first; here
(as in ``torch.nn.utils.parametrizations.spectral_norm``) both vectors are kept and :math:`u` is
updated first, so :math:`\sigma` uses the newest pair. It is the same alternating sequence of
vectors, shifted by half a step. The vectors start from :math:`\mathcal{N}(0, I)` draws of the
``generator`` argument, followed by 15 iterations; in evaluation mode no iteration runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from mllab.config import require_int

__all__ = ["SpectralNormalization", "power_iteration", "spectral_norm", "spectral_normalize_all"]

EPS = 1e-12
"""Guard against division by zero in the normalisations (torch's default)."""


def _normalize(x: Tensor) -> Tensor:
    return F.normalize(x, dim=0, eps=EPS)


@torch.no_grad()
def power_iteration(W: Tensor, u: Tensor, v: Tensor, iterations: int
                    ) -> tuple[Tensor, Tensor, Tensor]:
    r"""``iterations`` steps of :math:`u \leftarrow Wv / \|Wv\|`,
    :math:`v \leftarrow W^\top u / \|W^\top u\|`, then :math:`\sigma = u^\top W v`.

    Args:
        W: the matrix ``(h, w)``.
        u, v: the current vectors, ``(h,)`` and ``(w,)``; not modified.
        iterations: steps to take (>= 0).

    Returns:
        ``(sigma, u, v)``: the estimate of :math:`\sigma(W)` (0-dim) and the new vectors.
    """
    require_int("iterations", iterations, 0)
    for _ in range(iterations):
        u = _normalize(W @ v)  # (h,)
        v = _normalize(W.T @ u)  # (w,)
    return u @ W @ v, u, v


class SpectralNormalization(nn.Module):
    r"""A parametrization :math:`W \mapsto W / \sigma(W)` with the power-iteration vectors as
    buffers ``u`` and ``v`` (so they are saved in a ``state_dict`` and a checkpoint)."""

    def __init__(self, weight: Tensor, *, generator: torch.Generator, iterations: int = 1,
                 dim: int = 0) -> None:
        super().__init__()
        require_int("iterations", iterations, 1)
        self.iterations, self.dim = iterations, dim
        W = self.matrix(weight.detach())  # (h, w)
        h, w = W.shape
        u = _normalize(torch.randn(h, generator=generator, dtype=W.dtype)).to(W.device)
        v = _normalize(torch.randn(w, generator=generator, dtype=W.dtype)).to(W.device)
        _, u, v = power_iteration(W, u, v, 15)
        self.register_buffer("u", u)
        self.register_buffer("v", v)

    def matrix(self, weight: Tensor) -> Tensor:
        r"""The weight as a matrix ``(size of dim, everything else)``."""
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)  # (h, w)

    def forward(self, weight: Tensor) -> Tensor:
        W = self.matrix(weight)  # (h, w)
        if self.training:
            _, u, v = power_iteration(W.detach(), self.u, self.v, self.iterations)
            with torch.no_grad():
                self.u.copy_(u)
                self.v.copy_(v)
        # clones: a later forward updates the buffers in place, and this graph must not see
        # it (D(real) and D(fake) are two forwards of one loss)
        u, v = self.u.clone(), self.v.clone()
        sigma = u @ W @ v  # differentiable in W, not in u and v
        return weight / sigma  # Eq. (8)


def spectral_norm(module: nn.Module, *, generator: torch.Generator, name: str = "weight",
                  iterations: int = 1) -> nn.Module:
    r"""Reparametrize ``module.<name>`` as :math:`W / \sigma(W)` and return ``module``.

    ``dim`` is 1 for transposed convolutions (their kernel is ``(C_in, C_out, kH, kW)``), as in
    torch. ``module.parametrizations.<name>.original`` holds :math:`W`."""
    weight = getattr(module, name)
    dim = 1 if isinstance(module, nn.ConvTranspose1d | nn.ConvTranspose2d |
                          nn.ConvTranspose3d) else 0
    parametrize.register_parametrization(
        module, name, SpectralNormalization(weight, generator=generator, iterations=iterations,
                                            dim=dim))
    return module


def spectral_normalize_all(module: nn.Module, generator: torch.Generator | None) -> nn.Module:
    r"""Spectrally normalize every linear, convolution and embedding layer of ``module`` (a
    projection discriminator normalizes its class embedding too, arXiv:1802.05637); return
    ``module``."""
    if generator is None:
        raise ValueError("spectral_norm=True needs a generator for the power-iteration vectors")
    for m in list(module.modules()):
        if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d | nn.Embedding):
            spectral_norm(m, generator=generator)
    return module
