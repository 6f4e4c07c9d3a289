"""The 2-D networks: shapes (conditional or not), the config's ranges, and a spectrally
normalized discriminator that is 1-Lipschitz."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.gan.mlp_gan import MLPDiscriminator, MLPGANConfig, MLPGenerator


@pytest.mark.parametrize("num_classes", [0, 4])
def test_shapes(num_classes):
    config = MLPGANConfig(z_dim=3, width=16, depth=2, num_classes=num_classes)
    G, D = MLPGenerator(config), MLPDiscriminator(config)
    c = torch.tensor([0, 1, 3, 2, 1]) if num_classes else None
    x = G(torch.randn(5, 3), c)
    assert x.shape == (5, 2) and D(x, c).shape == (5,)


def test_config_ranges():
    with pytest.raises(ConfigError, match="depth must be an integer >= 1"):
        MLPGANConfig(depth=0)
    with pytest.raises(ConfigError, match="num_classes must be an integer >= 0"):
        MLPGANConfig(num_classes=-1)


def test_a_spectrally_normalized_discriminator_is_1_lipschitz():
    torch.manual_seed(0)
    D = MLPDiscriminator(MLPGANConfig(width=32, depth=3), spectral_norm=True,
                         generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # scale the raw weights up: without the normalization D is steep
        for name, p in D.named_parameters():
            if name.endswith("original"):
                p.mul_(10)
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(1))
    for _ in range(50):  # let the power iteration converge
        D(x)
    D.eval()
    y = x + 0.1 * torch.randn(200, 2, generator=torch.Generator().manual_seed(2))
    ratio = (D(x) - D(y)).abs() / (x - y).norm(dim=1)
    assert ratio.max() <= 1.0 + 1e-4
    plain = MLPDiscriminator(MLPGANConfig(width=32, depth=3))
    with torch.no_grad():
        for p in plain.parameters():
            p.mul_(10)
    assert ((plain(x) - plain(y)).abs() / (x - y).norm(dim=1)).max() > 1.0
