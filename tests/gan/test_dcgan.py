"""The DCGAN networks (8×8 and 28×28): shapes, the generator's range, conditioning, spectral
norm, and the discriminator refusing images of another size."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.gan.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator


@pytest.mark.parametrize("image_size", [8, 28])
@pytest.mark.parametrize("num_classes", [0, 10])
def test_shapes_and_range(num_classes, image_size):
    torch.manual_seed(0)
    config = DCGANConfig(z_dim=8, width=8, num_classes=num_classes, image_size=image_size)
    G, D = DCGANGenerator(config), DCGANDiscriminator(config)
    c = torch.arange(6) % 10 if num_classes else None
    x = G(torch.randn(6, 8) * 10, c)
    assert x.shape == (6, 1, image_size, image_size) and x.abs().max() <= 1
    assert D(x, c).shape == (6,)


def test_conditioning_changes_the_output():
    torch.manual_seed(0)
    config = DCGANConfig(z_dim=4, width=8, num_classes=3)
    G, D = DCGANGenerator(config).eval(), DCGANDiscriminator(config)
    z, x = torch.randn(2, 4), torch.randn(2, 1, 8, 8)
    zero, one = torch.zeros(2, dtype=torch.long), torch.ones(2, dtype=torch.long)
    assert not torch.allclose(G(z, zero), G(z, one))
    assert not torch.allclose(D(x, zero), D(x, one))


def test_spectral_norm_applies_to_every_layer():
    D = DCGANDiscriminator(DCGANConfig(width=4, num_classes=2), spectral_norm=True,
                           generator=torch.Generator().manual_seed(0))
    normalized = [n for n, _ in D.named_parameters() if n.endswith("original")]
    assert len(normalized) == 4  # two convolutions, psi, the class embedding


def test_bad_shapes_and_settings_are_refused():
    with pytest.raises(ValueError, match=r"\(B, 1, 8, 8\)"):
        DCGANDiscriminator(DCGANConfig(width=4))(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        DCGANDiscriminator(DCGANConfig(width=4, image_size=28))(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ConfigError, match="width must be an integer >= 1"):
        DCGANConfig(width=0)
    with pytest.raises(ConfigError, match="image_size must be a multiple of 4"):
        DCGANConfig(image_size=10)
