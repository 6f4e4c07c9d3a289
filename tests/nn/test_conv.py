"""Tests for mllab.nn.conv: the lecture's convolution and max pooling equal PyTorch's kernels."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from mllab.nn.conv import (
    conv2d_reference,
    conv_output_size,
    conv_params,
    fully_connected_params,
    max_pool2d_reference,
    receptive_field,
)

f64 = torch.float64


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    """Random shapes, strides and paddings for which at least one receptive field fits."""
    k_h, k_w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    s_h, p_h = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    as_pairs = draw(st.booleans())
    s_w, p_w = (draw(st.integers(1, 3)), draw(st.integers(0, 2))) if as_pairs else (s_h, p_h)
    return {
        "B": draw(st.integers(1, 3)),
        "C_in": draw(st.integers(1, 4)),
        "C_out": draw(st.integers(1, 4)),
        "H": draw(st.integers(max(1, k_h - 2 * p_h), k_h + 8)),
        "W": draw(st.integers(max(1, k_w - 2 * p_w), k_w + 8)),
        "kernel": (k_h, k_w),
        "stride": (s_h, s_w) if as_pairs else s_h,
        "padding": (p_h, p_w) if as_pairs else p_h,
        "bias": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def _conv_tensors(case: dict) -> tuple[Tensor, Tensor, Tensor | None]:
    g = torch.Generator().manual_seed(case["seed"])
    x = torch.randn(case["B"], case["C_in"], case["H"], case["W"], generator=g, dtype=f64)
    weight = torch.randn(case["C_out"], case["C_in"], *case["kernel"], generator=g, dtype=f64)
    bias = torch.randn(case["C_out"], generator=g, dtype=f64) if case["bias"] else None
    return x, weight, bias


def _as_pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else v


@given(conv_cases())
@settings(max_examples=50, deadline=None)
def test_conv2d_equals_F_conv2d(case: dict) -> None:
    x, weight, bias = _conv_tensors(case)
    y = conv2d_reference(x, weight, bias, stride=case["stride"], padding=case["padding"])
    expected = F.conv2d(x, weight, bias, stride=case["stride"], padding=case["padding"])
    (s_h, s_w), (p_h, p_w) = _as_pair(case["stride"]), _as_pair(case["padding"])
    H_out = conv_output_size(case["H"], case["kernel"][0], s_h, p_h)
    W_out = conv_output_size(case["W"], case["kernel"][1], s_w, p_w)
    assert y.shape == expected.shape == (case["B"], case["C_out"], H_out, W_out)
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-10)


@given(conv_cases())
@settings(max_examples=50, deadline=None)
def test_conv2d_gradients_equal_F_conv2d(case: dict) -> None:
    x, weight, bias = _conv_tensors(case)
    inputs = [t.requires_grad_() for t in (x, weight, bias) if t is not None]
    kwargs = {"stride": case["stride"], "padding": case["padding"]}
    y = conv2d_reference(x, weight, bias, **kwargs)
    upstream = torch.randn(y.shape, generator=torch.Generator().manual_seed(1), dtype=f64)
    grads = torch.autograd.grad((y * upstream).sum(), inputs)
    expected = torch.autograd.grad((F.conv2d(x, weight, bias, **kwargs) * upstream).sum(), inputs)
    for g, g_ref in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-10)


@st.composite
def pool_cases(draw: st.DrawFn) -> dict:
    k = draw(st.integers(1, 4))
    p = draw(st.integers(0, k // 2))
    return {
        "shape": (
            draw(st.integers(1, 3)),
            draw(st.integers(1, 3)),
            draw(st.integers(max(1, k - 2 * p), k + 8)),
            draw(st.integers(max(1, k - 2 * p), k + 8)),
        ),
        "kernel": k,
        "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
        "padding": p,
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


@given(pool_cases())
@settings(max_examples=50, deadline=None)
def test_max_pool2d_equals_F_max_pool2d_values_and_gradients(case: dict) -> None:
    g = torch.Generator().manual_seed(case["seed"])
    x = torch.randn(case["shape"], generator=g, dtype=f64, requires_grad=True)
    kwargs = {"stride": case["stride"], "padding": case["padding"]}
    y = max_pool2d_reference(x, case["kernel"], **kwargs)
    expected = F.max_pool2d(x, case["kernel"], **kwargs)
    assert y.shape == expected.shape
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-10)
    upstream = torch.randn(y.shape, generator=g, dtype=f64)
    (grad,) = torch.autograd.grad((y * upstream).sum(), x)
    (grad_ref,) = torch.autograd.grad((expected * upstream).sum(), x)
    torch.testing.assert_close(grad, grad_ref, rtol=0, atol=1e-10)


def test_one_output_is_one_neuron_on_its_straightened_receptive_field() -> None:
    """The lecture's neuron view: y = w · (3×3×3 field as a 27-vector) + b, zeros off the image."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 6, 5, generator=g, dtype=f64)
    weight = torch.randn(4, 3, 3, 3, generator=g, dtype=f64)
    bias = torch.randn(4, generator=g, dtype=f64)
    y = conv2d_reference(x, weight, bias, stride=2, padding=1)
    assert y.shape == (2, 4, 3, 3)
    x_pad = torch.zeros(2, 3, 8, 7, dtype=f64)
    x_pad[:, :, 1:-1, 1:-1] = x
    for n, c, i, j in [(0, 0, 0, 0), (1, 3, 2, 1), (1, 2, 1, 2)]:
        field = x_pad[n, :, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3].reshape(27)  # (27,)
        neuron = weight[c].reshape(27) @ field + bias[c]
        torch.testing.assert_close(y[n, c, i, j], neuron, rtol=0, atol=1e-12)


def test_max_pool_by_hand() -> None:
    x = torch.tensor(
        [[3, -1, -3, -1], [-1, 3, -1, 0], [-3, -3, 0, 1], [3, -2, -2, -1]], dtype=f64
    ).reshape(1, 1, 4, 4)
    expected = torch.tensor([[3, 0], [3, 1]], dtype=f64).reshape(1, 1, 2, 2)
    torch.testing.assert_close(max_pool2d_reference(x, 2), expected, rtol=0, atol=0)
    all_negative = -torch.ones(1, 1, 2, 2, dtype=f64)
    pooled = max_pool2d_reference(all_negative, 2, stride=1, padding=1)
    assert pooled.shape == (1, 1, 3, 3) and torch.all(pooled == -1)  # -inf padding never wins


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "expected"),
    [(8, 3, 1, 1, 8), (100, 3, 1, 0, 98), (7, 3, 2, 0, 3), (7, 3, 2, 1, 4), (5, 5, 1, 0, 1)],
)
def test_conv_output_size(n: int, k: int, s: int, p: int, expected: int) -> None:
    assert conv_output_size(n, k, s, p) == expected
    x = torch.zeros(1, 1, n, n)
    assert F.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-1] == expected


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ([], 1),
        ([(3, 1)], 3),
        ([(3, 1), (3, 1)], 5),  # two 3×3 layers see 5×5
        ([(3, 1), (3, 1), (3, 1)], 7),
        ([(3, 1), (2, 2), (3, 1)], 8),  # conv, 2×2 pool, conv
        ([(3, 1), (2, 2), (3, 1), (2, 2)], 10),  # CNN() default: 10 ≥ 8, sees the whole digit
        ([(7, 2), (3, 2), (3, 1)], 19),
    ],
)
def test_receptive_field_by_hand(layers: list[tuple[int, int]], expected: int) -> None:
    assert receptive_field(layers) == expected


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3)), max_size=4))
@settings(max_examples=50, deadline=None)
def test_receptive_field_equals_input_region_reached_by_the_gradient(
    layers: list[tuple[int, int]],
) -> None:
    """Stack all-ones convolutions; the input pixels that unit (0, 0) depends on span r × r.

    The span, not every pixel: a layer with k < s skips pixels inside it.
    """
    r = receptive_field(layers)
    x = torch.ones(1, 1, r + 3, r + 3, dtype=f64, requires_grad=True)
    y = x
    for k, s in layers:
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=f64), stride=s)
    (grad,) = torch.autograd.grad(y[0, 0, 0, 0], x)
    rows = torch.nonzero(grad[0, 0].sum(dim=1)).flatten()
    cols = torch.nonzero(grad[0, 0].sum(dim=0)).flatten()
    assert rows.min() == cols.min() == 0
    assert rows.max() == cols.max() == r - 1
    if all(k >= s for k, s in layers):  # no gaps: the whole r × r square
        assert rows.tolist() == cols.tolist() == list(range(r))


def test_lecture_parameter_counts() -> None:
    """100×100×3 image into 1000 neurons: 3×10⁷ weights; a 3×3 conv with 64 filters: 1,792."""
    assert fully_connected_params(100 * 100 * 3, 1000, bias=False) == 3 * 10**7
    assert fully_connected_params(100 * 100 * 3, 1000) == 3 * 10**7 + 1000
    assert conv_params(3, 64, 3) == 64 * 3 * 3 * 3 + 64 == 1792
    assert conv_params(3, 64, (3, 5), bias=False) == 64 * 3 * 3 * 5
    linear = nn.Linear(30_000, 1000, device="meta")
    assert sum(p.numel() for p in linear.parameters()) == fully_connected_params(30_000, 1000)
    conv = nn.Conv2d(3, 64, 3)
    assert sum(p.numel() for p in conv.parameters()) == conv_params(3, 64, 3)
    assert fully_connected_params(30_000, 1000) / conv_params(3, 64, 3) > 16_000


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "match"),
    [
        ((1, 3, 5, 5), (2, 4, 3, 3), {}, "same C_in"),
        ((3, 5, 5), (2, 3, 3, 3), {}, "same C_in"),
        ((1, 3, 2, 2), (2, 3, 3, 3), {}, "does not fit"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"stride": 0}, "^stride must be >= 1"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"padding": -1}, "^padding must be >= 0"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"stride": (1, 2, 3)}, "^stride must be an int or a pair"),
    ],
)
def test_conv2d_validation(x_shape: tuple, w_shape: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        conv2d_reference(torch.zeros(x_shape), torch.zeros(w_shape), **kwargs)


def test_max_pool_validation() -> None:
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="at most half the kernel size"):
        max_pool2d_reference(x, 2, padding=2)
    with pytest.raises(ValueError, match="does not fit"):
        max_pool2d_reference(x, 5)
    with pytest.raises(ValueError, match="^kernel_size must be >= 1"):
        max_pool2d_reference(x, 0)
    with pytest.raises(ValueError, match="kernel size and stride"):
        receptive_field([(3, 0)])
