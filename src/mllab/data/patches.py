r"""Images as sequences of patches, the Self-attention lecture's view of an image (and ViT's,
Dosovitskiy et al., arXiv:2010.11929): cut the image into :math:`p \times p` squares and read
them row by row as a sequence of vectors.

For an image of :math:`H \times W` pixels and patch side :math:`p` dividing both, patch
:math:`(i, j)` becomes token :math:`t = i\,(W/p) + j` with features

.. math:: x_{t,\,(a p + b)} = \mathrm{img}_{i p + a,\; j p + b}, \qquad 0 \le a, b < p

Differences from ViT: no linear projection here (the model's input layer does that) and one
channel only (scikit-learn's digits are grey).
"""

from __future__ import annotations

from torch import Tensor

from mllab.config import require_int

__all__ = ["image_patches"]


def image_patches(images: Tensor, p: int) -> Tensor:
    r"""Cut images ``(N, H, W)`` into patch sequences ``(N, (H/p)(W/p), p*p)``, row-major.

    Args:
        images: Grey images ``(N, H, W)``; ``H`` and ``W`` multiples of ``p``.
        p: Patch side (>= 1).
    """
    require_int("p", p, 1)
    if images.ndim != 3 or images.shape[1] % p or images.shape[2] % p:
        raise ValueError(f"images must have shape (N, H, W) with H, W multiples of p = {p}, "
                         f"got {tuple(images.shape)}")
    N, H, W = images.shape
    x = images.reshape(N, H // p, p, W // p, p)  # (N, H/p, p, W/p, p)
    x = x.permute(0, 1, 3, 2, 4)  # (N, H/p, W/p, p, p)
    return x.reshape(N, (H // p) * (W // p), p * p)  # (N, T, p*p)
