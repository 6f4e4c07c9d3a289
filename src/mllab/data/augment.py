r"""Data augmentation for small images: shifted copies (the CNN lecture's example of
augmentation that keeps the label; flips are left out since a flipped digit is another
symbol)."""

from __future__ import annotations

import torch
from torch import Tensor


def shift_images(x: Tensor, dy: int, dx: int) -> Tensor:
    r"""Shift images ``x`` of shape (B, C, H, W) by ``dy`` rows and ``dx`` columns, filling
    with zeros: :math:`x'_{c,i,j} = x_{c,\,i-dy,\,j-dx}` where that pixel exists, else 0."""
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, C, H, W), got {tuple(x.shape)}")
    _, _, H, W = x.shape
    if abs(dy) >= H or abs(dx) >= W:
        raise ValueError(f"shift ({dy}, {dx}) must be smaller than the image ({H}, {W})")
    out = torch.zeros_like(x)
    out[:, :, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        x[:, :, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out


def with_shifted_copies(x: Tensor, y: Tensor, image_shape: tuple[int, int, int],
                        pixels: int = 1) -> tuple[Tensor, Tensor]:
    r"""The data plus copies shifted by ``pixels`` up, down, left and right (5× the examples).

    ``x`` is flat (B, C·H·W) as the digits loader returns it; the result is flat too.
    """
    C, H, W = image_shape
    images = x.reshape(-1, C, H, W)  # (B, C, H, W)
    shifts = [(0, 0), (-pixels, 0), (pixels, 0), (0, -pixels), (0, pixels)]
    xs = [shift_images(images, dy, dx).reshape(len(x), -1) for dy, dx in shifts]  # (B, C*H*W)
    return torch.cat(xs), y.repeat(len(shifts))
