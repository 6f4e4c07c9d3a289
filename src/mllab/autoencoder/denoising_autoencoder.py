r"""The de-noising auto-encoder: corrupt the input, reconstruct the clean one.

Vincent et al., "Extracting and Composing Robust Features with Denoising Autoencoders", ICML
2008. The auto-encoder lecture: add noise to the input, and train encoder and decoder so that
the output is as close as possible to the input *before* the noise,

.. math:: \tilde x \sim q(\tilde x \mid x), \qquad
    \min_{e, d} \frac1N \sum_n \lVert x_n - d(e(\tilde x_n)) \rVert^2 ,

so the code has to learn what the noise does not destroy. BERT's masked LM is the same idea
(mask tokens, predict the originals). Two corruptions :math:`q`:

- ``"gaussian"``: :math:`\tilde x = x + \sigma \varepsilon`, :math:`\varepsilon \sim
  \mathcal{N}(0, I)` (``level`` is :math:`\sigma`);
- ``"masking"``: each entry set to 0 with probability ``level`` (the paper's "masking noise").

The noise is drawn from the ``generator`` given (or the ``noise`` tensor given), never from
global state.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.autoencoder.autoencoder import reconstruction_error
from mllab.config import require

__all__ = ["CORRUPTIONS", "corrupt", "denoising_loss"]

CORRUPTIONS = ("gaussian", "masking")
r"""The corruptions :math:`q(\tilde x \mid x)` :func:`corrupt` knows."""


def corrupt(x: Tensor, kind: str = "gaussian", level: float = 0.5, *,
            generator: torch.Generator | None = None, noise: Tensor | None = None) -> Tensor:
    r""":math:`\tilde x \sim q(\tilde x \mid x)`.

    Args:
        x: the clean input, any shape.
        kind: ``"gaussian"`` (:math:`x + \sigma\varepsilon`) or ``"masking"`` (zero each entry
            with probability ``level``).
        level: :math:`\sigma` (>= 0) or the masking probability (in [0, 1]).
        generator: draws the noise.
        noise: the noise itself instead (:math:`\varepsilon` of ``x``'s shape, or uniform
            draws in [0, 1) for masking: an entry is masked where ``noise < level``).
    """
    require(kind in CORRUPTIONS, "kind", f"one of {CORRUPTIONS}", kind)
    require(level >= 0 and (kind == "gaussian" or level <= 1), "level",
            ">= 0 (gaussian) or in [0, 1] (masking)", level)
    require(generator is not None or noise is not None, "generator", "given (or noise)", None)
    if kind == "gaussian":
        eps = noise if noise is not None else torch.randn(
            x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return x + level * eps  # x + σ ε
    u = noise if noise is not None else torch.rand(
        x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x * (u >= level).to(x.dtype)  # masked with probability `level`


def denoising_loss(model: nn.Module, x: Tensor, kind: str = "gaussian", level: float = 0.5,
                   *, generator: torch.Generator) -> Tensor:
    r""":math:`\frac1B \sum_n \lVert x_n - d(e(\tilde x_n)) \rVert^2 / C`: the mean squared
    error between the reconstruction of the corrupted batch and the clean one."""
    x_tilde = corrupt(x, kind, level, generator=generator)
    return reconstruction_error(x, model(x_tilde)).mean() / x[0].numel()
