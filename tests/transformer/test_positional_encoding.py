"""Tests for mllab.transformer.positional_encoding: the formula by hand, ranges, offsets,
learned shapes and the choice by name."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.transformer.positional_encoding import (
    LearnedPositionalEncoding,
    NoPositionalEncoding,
    SinusoidalPositionalEncoding,
    positional_encoding,
    sinusoidal_table,
)

f64 = torch.float64


@pytest.mark.parametrize("pos", [0, 1, 7, 50])
def test_sinusoidal_formula_by_hand(pos):
    d = 6
    pe = sinusoidal_table(64, d, dtype=f64)
    for i in range(d // 2):
        angle = pos / 10000 ** (2 * i / d)
        assert pe[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-15)
        assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-15)


def test_position_zero_is_zeros_and_ones_and_odd_d_ends_with_a_sine():
    assert sinusoidal_table(3, 4)[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    pe = sinusoidal_table(5, 5, dtype=f64)
    assert pe[3, 4].item() == pytest.approx(math.sin(3 / 10000 ** (4 / 5)))


def test_values_lie_in_minus_one_one_and_positions_differ():
    pe = sinusoidal_table(512, 32)
    assert bool((pe.abs() <= 1).all())
    assert torch.unique(pe, dim=0).shape[0] == 512


def test_modules_add_the_encoding_at_the_offset():
    x = torch.randn(2, 3, 8, dtype=f64)
    sin = SinusoidalPositionalEncoding(8, 16)
    table = sinusoidal_table(16, 8, dtype=f64)
    assert torch.allclose(sin(x), x + table[:3])
    assert torch.allclose(sin(x, offset=5), x + table[5:8])
    full = sin(torch.zeros(1, 6, 8))
    steps = torch.cat([sin(torch.zeros(1, 1, 8), offset=t) for t in range(6)], dim=1)
    assert torch.equal(full, steps)
    assert dict(sin.state_dict()) == {}  # nothing to learn, nothing saved


def test_learned_encoding_shapes_and_gradients():
    torch.manual_seed(0)
    learned = LearnedPositionalEncoding(8, 10)
    assert learned.embedding.weight.shape == (10, 8)
    x = torch.zeros(3, 4, 8)
    y = learned(x, offset=2)
    assert y.shape == (3, 4, 8)
    assert torch.equal(y[1], learned.embedding.weight[2:6].detach())
    y.sum().backward()
    grad = learned.embedding.weight.grad
    assert bool((grad[2:6] == 3).all()) and bool((grad[:2] == 0).all())


def test_none_is_the_identity_and_names_choose_the_module():
    x = torch.randn(2, 3, 4)
    assert torch.equal(NoPositionalEncoding(4, 8)(x), x)
    assert isinstance(positional_encoding("learned", 4, 8), LearnedPositionalEncoding)
    assert isinstance(positional_encoding("sinusoidal", 4, 8), SinusoidalPositionalEncoding)
    with pytest.raises(ConfigError, match="positional must be one of 'sinusoidal'"):
        positional_encoding("rotary", 4, 8)


def test_refuses_positions_past_max_len_and_bad_shapes():
    sin = SinusoidalPositionalEncoding(4, 5)
    with pytest.raises(ValueError, match="max_len"):
        sin(torch.zeros(1, 3, 4), offset=3)
    with pytest.raises(ValueError, match="shape"):
        sin(torch.zeros(1, 3, 5))
    with pytest.raises(ConfigError, match="offset must be an integer >= 0"):
        sin(torch.zeros(1, 3, 4), offset=-1)
    with pytest.raises(ConfigError, match="max_len must be an integer >= 1"):
        LearnedPositionalEncoding(4, 0)
