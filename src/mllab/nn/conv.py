r"""The convolutional layer and max pooling as Lecture 8 (CNN) builds them, plus their sizes.

The lecture reaches the convolutional layer from a fully connected one by two simplifications:

1. **Receptive field.** A neuron looks only at a :math:`k \times k` patch across all
   :math:`C_{in}` channels: the patch is straightened into a vector of
   :math:`C_{in} k^2` numbers (27 for a 3×3×3 field), and the neuron computes
   :math:`w \cdot x + b`. Patches start every ``stride`` pixels; fields that would run off the
   image are completed by zero padding.
2. **Parameter sharing.** Every receptive field uses the same set of weights, a *filter*; a
   layer with :math:`C_{out}` filters turns each field into :math:`C_{out}` numbers, one
   *feature map* per filter.

So a convolution is: extract every receptive field, then multiply the matrix of fields by the
matrix of filters,

.. math::
    y_{n, c, i, j} = b_c + \sum_{c'=1}^{C_{in}} \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
        w_{c, c', u, v}\, x^{\text{pad}}_{n, c', s_h i + u, s_w j + v},
    \qquad
    H_{out} = \Big\lfloor \frac{H + 2p - k}{s} \Big\rfloor + 1

**Max pooling** (observation 3: subsampling keeps the object) groups pixels into windows and
keeps the largest value of each window, channel by channel; it learns nothing.

:func:`conv2d_reference` and :func:`max_pool2d_reference` are the lecture's versions; models
use ``nn.Conv2d`` / ``nn.MaxPool2d`` (the fast kernels) and the tests prove both equal.
:func:`fully_connected_params` and :func:`conv_params` count weights (the lecture's
motivation: a 100×100×3 image into 1000 fully connected neurons needs :math:`3 \times 10^7`
weights), :func:`receptive_field` the input region seen by a unit after stacked layers.

Differences from the course: the lecture calls the operation a convolution; like every deep
learning library, the code computes a cross-correlation (the filter is not flipped), which
is the same function class since the filters are learned. Dilation and groups are left out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "conv2d_reference",
    "conv_output_size",
    "conv_params",
    "fully_connected_params",
    "max_pool2d_reference",
    "receptive_field",
]


def _pair(name: str, value: int | tuple[int, int], minimum: int) -> tuple[int, int]:
    r"""``(v, v)`` for an int, the tuple itself for a pair; each an integer >= ``minimum``."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair[0], pair[1]


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    r"""Number of receptive-field positions along one axis of length ``n``.

    .. math:: n_{out} = \Big\lfloor \frac{n + 2p - k}{s} \Big\rfloor + 1

    Args:
        n: input size (height or width).
        k: kernel size along that axis.
        stride: step :math:`s` between neighbouring fields.
        padding: zeros :math:`p` added on each side.

    Returns:
        The output size; 0 or less means no field fits.
    """
    return (n + 2 * padding - k) // stride + 1  # Eq.: ⌊(n + 2p − k)/s⌋ + 1


def conv2d_reference(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    r"""2-D convolution as receptive fields times shared filters (same result as ``F.conv2d``).

    1. pad with zeros; 2. straighten every :math:`C_{in} \times k_h \times k_w` receptive field
    into a column; 3. multiply by the :math:`C_{out}` filters, each straightened alike
    (one matmul: parameter sharing); 4. add the bias and fold the positions back into maps.

    Args:
        x: images, shape ``(B, C_in, H, W)``.
        weight: filters, shape ``(C_out, C_in, k_h, k_w)``.
        bias: one bias per filter, shape ``(C_out,)``, or ``None``.
        stride: step between fields, ``s`` or ``(s_h, s_w)``; >= 1.
        padding: zeros on each side, ``p`` or ``(p_h, p_w)``; >= 0.

    Returns:
        Feature maps, shape ``(B, C_out, H_out, W_out)``.

    Raises:
        ValueError: on inconsistent shapes, or when no receptive field fits.
    """
    s_h, s_w = _pair("stride", stride, 1)
    p_h, p_w = _pair("padding", padding, 0)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"expected x (B, C_in, H, W) and weight (C_out, C_in, k_h, k_w) with the same C_in, "
            f"got {tuple(x.shape)} and {tuple(weight.shape)}"
        )
    B, _, H, W = x.shape
    C_out, _, k_h, k_w = weight.shape
    H_out, W_out = conv_output_size(H, k_h, s_h, p_h), conv_output_size(W, k_w, s_w, p_w)
    if H_out < 1 or W_out < 1:
        raise ValueError(
            f"kernel ({k_h}, {k_w}) does not fit the padded input ({H + 2 * p_h}, {W + 2 * p_w})"
        )
    x_pad = F.pad(x, (p_w, p_w, p_h, p_h))  # (B, C_in, H + 2p_h, W + 2p_w), zeros
    fields = F.unfold(x_pad, (k_h, k_w), stride=(s_h, s_w))  # (B, C_in*k_h*k_w, H_out*W_out)
    filters = weight.reshape(C_out, -1)  # (C_out, C_in*k_h*k_w)
    y = filters @ fields  # (B, C_out, H_out*W_out)  y = w · x for every field
    if bias is not None:
        y = y + bias.reshape(1, C_out, 1)  # (B, C_out, H_out*W_out)  + b
    return y.reshape(B, C_out, H_out, W_out)  # (B, C_out, H_out, W_out)


def max_pool2d_reference(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    r"""Max pooling: the largest value of each window, per channel (same as ``F.max_pool2d``).

    .. math:: y_{n, c, i, j} = \max_{0 \le u < k_h,\ 0 \le v < k_w}
        x^{\text{pad}}_{n, c, s_h i + u, s_w j + v}

    Padding uses :math:`-\infty`, so a padded cell never wins.

    Args:
        x: feature maps, shape ``(B, C, H, W)``.
        kernel_size: window ``k`` or ``(k_h, k_w)``; >= 1.
        stride: step between windows; defaults to ``kernel_size`` (non-overlapping windows).
        padding: :math:`-\infty` cells on each side; at most half the window, as in PyTorch.

    Returns:
        Pooled maps, shape ``(B, C, H_out, W_out)``.

    Raises:
        ValueError: on a bad shape, padding over half the window, or no window fitting.
    """
    k_h, k_w = _pair("kernel_size", kernel_size, 1)
    s_h, s_w = _pair("stride", kernel_size if stride is None else stride, 1)
    p_h, p_w = _pair("padding", padding, 0)
    if x.ndim != 4:
        raise ValueError(f"expected x of shape (B, C, H, W), got {tuple(x.shape)}")
    if 2 * p_h > k_h or 2 * p_w > k_w:
        raise ValueError(f"padding must be at most half the kernel size, got {padding!r}")
    H, W = x.shape[2:]
    if conv_output_size(H, k_h, s_h, p_h) < 1 or conv_output_size(W, k_w, s_w, p_w) < 1:
        raise ValueError(f"kernel ({k_h}, {k_w}) does not fit the padded input")
    x_pad = F.pad(x, (p_w, p_w, p_h, p_h), value=-torch.inf)  # (B, C, H + 2p_h, W + 2p_w)
    windows = x_pad.unfold(2, k_h, s_h).unfold(3, k_w, s_w)  # (B, C, H_out, W_out, k_h, k_w)
    return windows.amax(dim=(-2, -1))  # (B, C, H_out, W_out)


def receptive_field(layers: list[tuple[int, int]]) -> int:
    r"""Side of the input region that one unit sees after a stack of conv / pooling layers.

    Walking from the input, each layer of kernel :math:`k` and stride :math:`s` widens the
    field by :math:`k - 1` steps of the current *jump* (distance, in input pixels, between
    neighbouring units), and multiplies the jump by :math:`s`:

    .. math:: r \leftarrow r + (k - 1)\,j, \qquad j \leftarrow j\,s, \qquad r_0 = j_0 = 1

    Two stacked 3×3 convolutions see 5×5 ("the deeper the network, the larger the region").
    :math:`r` is the span of the region; a layer with :math:`k < s` skips pixels inside it.

    Args:
        layers: ``(kernel_size, stride)`` of each layer, from the input up.

    Returns:
        The receptive field size :math:`r` (1 for no layers).
    """
    r, jump = 1, 1
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError(f"kernel size and stride must be >= 1, got ({k}, {s})")
        r = r + (k - 1) * jump  # Eq.: r ← r + (k − 1)·j
        jump = jump * s  # Eq.: j ← j·s
    return r


def fully_connected_params(in_features: int, out_features: int, bias: bool = True) -> int:
    r"""Parameters of a fully connected layer: one weight per (input, neuron) pair.

    .. math:: C_{in} C_{out} + C_{out}\,[\text{bias}]
    """
    return in_features * out_features + (out_features if bias else 0)


def conv_params(
    in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], bias: bool = True
) -> int:
    r"""Parameters of a convolutional layer: one shared filter per output channel.

    .. math:: C_{out} C_{in} k_h k_w + C_{out}\,[\text{bias}]

    It does not depend on the image size: that is what parameter sharing buys.
    """
    k_h, k_w = _pair("kernel_size", kernel_size, 1)
    return out_channels * in_channels * k_h * k_w + (out_channels if bias else 0)
