r"""scikit-learn's handwritten digits as images for the GAN lectures: 1797 grey 8×8 images
(UCI optdigits test set), ten classes, bundled with scikit-learn (nothing downloads).

Pixels are counts 0..16; a GAN's generator ends in tanh, so they are scaled to
:math:`x = p / 8 - 1 \in [-1, 1]`.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["load_digit_images", "to_pixels"]


def load_digit_images(dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    r"""``(x (1797, 1, 8, 8) in [-1, 1], y (1797,) int64)``."""
    from sklearn.datasets import load_digits  # lazy: keeps `import mllab` fast

    bunch = load_digits()
    x = torch.as_tensor(bunch.images, dtype=dtype).unsqueeze(1) / 8 - 1  # (N, 1, 8, 8)
    return x, torch.as_tensor(bunch.target, dtype=torch.int64)


def to_pixels(x: Tensor) -> Tensor:
    r"""The inverse scaling, :math:`p = 8(x + 1)`, clamped to ``[0, 16]``."""
    return ((x + 1) * 8).clamp(0, 16)
