"""The U-Net-like denoiser: shapes for 8x8 images, dependence on t and on the skip path, and
fitting the noise of one batch."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.diffusion import UNetDenoiser


def test_shapes_and_the_output_depends_on_t():
    torch.manual_seed(0)
    model = UNetDenoiser(channels=1, T=100, base=8)
    x = torch.randn(3, 1, 8, 8)
    out = model(x, torch.tensor([0, 1, 2]))
    assert out.shape == (3, 1, 8, 8)
    assert not torch.allclose(model(x, torch.zeros(3, dtype=torch.long)),
                              model(x, torch.full((3,), 99)))
    with pytest.raises(ConfigError, match="base"):
        UNetDenoiser(base=12)


def test_it_fits_a_fixed_batch():
    torch.manual_seed(0)
    model = UNetDenoiser(channels=1, T=100, base=16)
    g = torch.Generator().manual_seed(0)
    x, t = torch.randn(16, 1, 8, 8, generator=g), torch.randint(100, (16,), generator=g)
    eps = torch.randn(16, 1, 8, 8, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        opt.zero_grad()
        loss = (model(x, t) - eps).square().mean()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2
