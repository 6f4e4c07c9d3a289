"""Depthwise and pointwise convolutions: the parameter counts against sum(p.numel()), values
against an equivalent dense F.conv2d."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mllab.compression.separable_conv import (
    DepthwiseConv2d,
    DepthwiseSeparableConv2d,
    PointwiseConv2d,
    separable_conv_params,
    standard_conv_params,
)


def _n(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize(("c_in", "c_out", "k", "bias"),
                         [(3, 8, 3, True), (16, 32, 5, False), (1, 1, 1, True)])
def test_parameter_counts(c_in, c_out, k, bias):
    assert _n(DepthwiseSeparableConv2d(c_in, c_out, k, bias=bias)) == \
        separable_conv_params(c_in, c_out, k, bias)
    assert _n(nn.Conv2d(c_in, c_out, k, bias=bias)) == standard_conv_params(c_in, c_out, k, bias)


def test_depthwise_is_a_block_diagonal_dense_convolution():
    torch.manual_seed(0)
    dw = DepthwiseConv2d(4, 3, padding=1).double()
    x = torch.randn(2, 4, 7, 7, dtype=torch.float64)
    dense = torch.zeros(4, 4, 3, 3, dtype=torch.float64)
    for c in range(4):
        dense[c, c] = dw.weight[c, 0]
    assert torch.allclose(dw(x), F.conv2d(x, dense, dw.bias, padding=1), atol=1e-12)


def test_pointwise_mixes_channels_at_each_pixel_and_separable_composes():
    torch.manual_seed(1)
    pw = PointwiseConv2d(4, 6).double()
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    mix = torch.einsum("oc,bchw->bohw", pw.weight[:, :, 0, 0], x) + pw.bias.view(1, -1, 1, 1)
    assert torch.allclose(pw(x), mix, atol=1e-12)
    sep = DepthwiseSeparableConv2d(4, 6, 3).double()
    ref = F.conv2d(F.conv2d(x, sep.depthwise.weight, sep.depthwise.bias, groups=4),
                   sep.pointwise.weight, sep.pointwise.bias)
    assert sep(x).shape == (2, 6, 3, 3) and torch.allclose(sep(x), ref, atol=1e-12)
