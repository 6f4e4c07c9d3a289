r"""Depthwise-separable convolution (Network Compression lecture; MobileNet, arXiv:1704.04861).

A standard convolution from :math:`C` to :math:`C'` channels with a :math:`k\times k`
kernel has :math:`k^2 C C'` weights. Splitting it into

- a **depthwise** convolution: one :math:`k\times k` filter per input channel, each seeing its
  own channel only (``groups = C``): :math:`k^2 C` weights;
- a **pointwise** convolution: a :math:`1\times 1` convolution mixing the channels:
  :math:`C C'` weights;

needs :math:`k^2 C + C C'` weights, a share :math:`\frac{1}{C'} + \frac{1}{k^2}` of the
standard one. Biases add :math:`C` and :math:`C'`.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["DepthwiseConv2d", "DepthwiseSeparableConv2d", "PointwiseConv2d",
           "separable_conv_params", "standard_conv_params"]


def standard_conv_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    r"""Parameters of a standard convolution: :math:`k^2 C C' (+ C')`."""
    return k * k * c_in * c_out + (c_out if bias else 0)


def separable_conv_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    r"""Parameters of depthwise then pointwise: :math:`k^2 C + C C' (+ C + C')`."""
    return k * k * c_in + c_in * c_out + ((c_in + c_out) if bias else 0)


class DepthwiseConv2d(nn.Conv2d):
    r"""One :math:`k\times k` filter per channel: ``nn.Conv2d(C, C, k, groups=C)``;
    ``(B, C, H, W)`` -> ``(B, C, H', W')``."""

    def __init__(self, channels: int, kernel_size: int, padding: int = 0,
                 bias: bool = True) -> None:
        super().__init__(channels, channels, kernel_size, padding=padding, groups=channels,
                         bias=bias)


class PointwiseConv2d(nn.Conv2d):
    r"""A :math:`1\times 1` convolution mixing channels: ``(B, C, H, W)`` -> ``(B, C', H, W)``."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)


class DepthwiseSeparableConv2d(nn.Module):
    r"""Depthwise then pointwise; the replacement of ``nn.Conv2d(C, C', k)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.depthwise = DepthwiseConv2d(in_channels, kernel_size, padding, bias)
        self.pointwise = PointwiseConv2d(in_channels, out_channels, bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))
