r"""The images the GAN lectures' experiments train and judge on: scikit-learn's 8×8 digits
(always there) or, where Debian's ``dataset-fashion-mnist`` is installed, Fashion-MNIST's
28×28 test split (10,000 images: enough for a CPU, and the same for every run).
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import require
from mllab.data.fashion_mnist import fashion_mnist_dir, load_fashion_mnist
from mllab.gan.digit_images import load_digit_images

__all__ = ["IMAGE_DATA", "load_gan_images", "require_image_data"]

IMAGE_DATA = ("digits", "fashion-mnist")


def require_image_data(data: str) -> None:
    r"""Refuse, in one line, a name not in :data:`IMAGE_DATA` or data that are not installed."""
    require(data in IMAGE_DATA, "data", f"one of {', '.join(IMAGE_DATA)}", data)
    if data == "fashion-mnist":
        fashion_mnist_dir()


def load_gan_images(data: str = "digits",
                    dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    r"""``(x (N, 1, S, S) in [-1, 1], y (N,) int64)``: S = 8 for ``"digits"``, 28 for
    ``"fashion-mnist"``."""
    require_image_data(data)
    if data == "digits":
        return load_digit_images(dtype)
    return load_fashion_mnist("test", dtype=dtype)
