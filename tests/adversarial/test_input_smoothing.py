"""Mean smoothing: a constant image is unchanged, an interior pixel is its window's mean by
hand, the size is kept, and even k is refused."""

import pytest
import torch

from mllab.adversarial.input_smoothing import mean_smoothing
from mllab.config import ConfigError


def test_closed_forms():
    x = torch.rand(2, 1, 6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    s = mean_smoothing(x, 3)
    assert s.shape == x.shape
    assert torch.allclose(s[:, :, 2, 3], x[:, :, 1:4, 2:5].mean(dim=(2, 3)))
    c = torch.full((1, 1, 5, 5), 0.4, dtype=torch.float64)
    assert torch.allclose(mean_smoothing(c, 5), c)
    assert torch.equal(mean_smoothing(x, 1), x)
    with pytest.raises(ConfigError, match="k must"):
        mean_smoothing(x, 2)
