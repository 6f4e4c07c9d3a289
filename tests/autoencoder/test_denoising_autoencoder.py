"""The de-noising auto-encoder: corruption by an explicit generator, its statistics, and a
model that learns to remove the noise."""

import pytest
import torch

from mllab.autoencoder import MLPAutoencoder, corrupt, denoising_loss
from mllab.config import ConfigError


def test_gaussian_corruption_is_x_plus_sigma_eps_from_the_generator():
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    out = corrupt(x, "gaussian", 0.3, generator=torch.Generator().manual_seed(7))
    eps = torch.randn(4, 5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(out, x + 0.3 * eps)
    assert torch.equal(corrupt(x, "gaussian", 0.3, noise=eps), out)


def test_corruption_statistics():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(200_000, dtype=torch.float64)
    noisy = corrupt(x, "gaussian", 0.5, generator=g)
    assert (noisy - x).mean().abs() < 0.005 and (noisy - x).std().item() == pytest.approx(0.5,
                                                                                         rel=0.01)
    masked = corrupt(x, "masking", 0.25, generator=g)
    assert set(masked.unique().tolist()) == {0.0, 1.0}
    assert (masked == 0).double().mean().item() == pytest.approx(0.25, abs=0.005)


def test_same_generator_state_same_corruption_and_none_is_refused():
    x = torch.rand(3, 8)
    a = corrupt(x, "masking", 0.5, generator=torch.Generator().manual_seed(3))
    b = corrupt(x, "masking", 0.5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    with pytest.raises(ConfigError, match="generator"):
        corrupt(x, "masking", 0.5)
    with pytest.raises(ConfigError, match="kind"):
        corrupt(x, "salt", 0.5, generator=torch.Generator())
    with pytest.raises(ConfigError, match="level"):
        corrupt(x, "masking", 1.5, generator=torch.Generator())


def test_a_denoising_autoencoder_removes_noise_it_was_trained_on():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    basis = torch.randn(2, 16, generator=g)
    x = torch.randn(256, 2, generator=g) @ basis  # (256, 16): data on a plane
    model = MLPAutoencoder(16, 2, (32,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        loss = denoising_loss(model, x, "gaussian", 0.5, generator=g)
        loss.backward()
        opt.step()
    noisy = corrupt(x, "gaussian", 0.5, generator=g)
    with torch.no_grad():
        assert (model(noisy) - x).square().mean() < 0.5 * (noisy - x).square().mean()
