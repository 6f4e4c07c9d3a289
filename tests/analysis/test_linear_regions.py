"""Linear regions: one hidden layer on a line has one region per kink inside plus one (the
kinks -b_i / w_i in closed form); patterns on a grid count the regions of a line arrangement;
the pieces along a line agree with the slope changes of the output."""

import torch
from torch import nn

from mllab.analysis.linear_regions import (
    activation_patterns,
    breakpoints_on_line,
    regions_on_grid,
    regions_on_line,
)


def test_one_hidden_layer_by_its_kinks():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 30), nn.ReLU(), nn.Linear(30, 1))
    kinks = -net[0].bias / net[0].weight[:, 0]
    inside = int(((kinks > -1) & (kinks < 2)).sum())
    assert regions_on_line(net, torch.tensor([-1.0]), torch.tensor([2.0])) == inside + 1
    t = breakpoints_on_line(net, torch.tensor([-1.0]), torch.tensor([2.0]))
    expected = torch.sort((kinks[(kinks > -1) & (kinks < 2)].double() + 1) / 3).values
    assert torch.allclose(t[1:-1], expected, atol=1e-6)


def test_deep_random_network_breakpoints_are_where_the_slope_changes():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                        nn.Linear(8, 1)).double()
    a, b = torch.tensor([-2.0, -1.0]), torch.tensor([2.0, 1.5])
    t = breakpoints_on_line(net, a, b)
    n = regions_on_line(net, a, b)
    assert n == len(t) - 1 and n > 3
    for lo, hi in zip(t[:-1], t[1:], strict=True):  # affine inside each interval
        s = torch.linspace(0, 1, 5, dtype=torch.float64) * (hi - lo) + lo
        y = net(a.double() + s[:, None] * (b - a).double())[:, 0]
        assert torch.allclose(y[1:] - y[:-1], (y[1] - y[0]).expand(4), atol=1e-9)
    patterns = activation_patterns(net, a.double() + ((t[:-1] + t[1:]) / 2)[:, None] * (b - a))
    assert len(torch.unique(patterns, dim=0)) <= n


def test_grid_counts_the_seven_regions_of_three_lines():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():  # lines x = 0, y = 0, x + y = 0.5: 1 + 3 + 3 regions
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.0, -0.5]))
    count, index = regions_on_grid(net, (-1.0, -1.0), (1.0, 1.0), n=101)
    assert count == 7 and index.shape == (101, 101)
