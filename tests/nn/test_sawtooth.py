"""The sawtooth: g^L against the tent map composed L times, and 2^L pieces counted exactly
along [0, 1] with width 2 at every depth."""

import pytest
import torch

from mllab.analysis.linear_regions import breakpoints_on_line, regions_on_line
from mllab.nn.sawtooth import sawtooth


def tent(x):
    return torch.where(x <= 0.5, 2 * x, 2 - 2 * x)


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_is_the_tent_map_composed(depth):
    x = torch.linspace(0, 1, 257, dtype=torch.float64)[:, None]
    y = x
    for _ in range(depth):
        y = tent(y)
    assert torch.allclose(sawtooth(depth).double()(x), y, atol=1e-12)


@pytest.mark.parametrize("depth", range(1, 11))
def test_pieces_double_per_layer_at_width_two(depth):
    net = sawtooth(depth)
    assert all(m.out_features <= 2 for m in net if isinstance(m, torch.nn.Linear))
    a, b = torch.zeros(1), torch.ones(1)
    assert regions_on_line(net, a, b) == 2**depth
    t = breakpoints_on_line(net, a, b)
    assert torch.allclose(t, torch.arange(2**depth + 1, dtype=torch.float64) / 2**depth)


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        sawtooth(0)
