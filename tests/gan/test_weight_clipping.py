"""Weight clipping: every parameter ends in [-c, c], those inside are unchanged."""

import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.gan.weight_clipping import clip_weights


def test_every_parameter_is_clipped_and_the_rest_kept():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    before = [p.detach().clone() for p in net.parameters()]
    clip_weights(net, 0.1)
    for p, old in zip(net.parameters(), before, strict=True):
        assert p.abs().max() <= 0.1
        inside = old.abs() <= 0.1
        assert torch.equal(p[inside], old[inside])
        assert torch.equal(p[~inside], 0.1 * old[~inside].sign())
    assert any((old.abs() > 0.1).any() for old in before)  # the test clipped something


@pytest.mark.parametrize("c", [0, -0.01, float("nan")])
def test_a_bad_c_is_refused(c):
    with pytest.raises(ConfigError, match="c must be a number > 0"):
        clip_weights(nn.Linear(1, 1), c)
