"""The SYNTHETIC mixtures: ring and grid centres by hand, samples around their components."""

import math

import torch

from mllab.gan.gaussian_mixture import grid_centers, ring_centers, sample_mixture


def test_centres_by_hand():
    ring = ring_centers(4, radius=2.0)
    assert torch.allclose(ring, torch.tensor([[2.0, 0], [0, 2], [-2, 0], [0, -2]],
                                             dtype=torch.float64), atol=1e-12)
    grid = grid_centers(5, spacing=2.0)
    assert grid.shape == (25, 2) and grid[0].tolist() == [-4.0, -4.0]
    assert grid[6].tolist() == [-2.0, -2.0] and grid[12].tolist() == [0.0, 0.0]


def test_samples_lie_around_their_components_with_sigma():
    centers = ring_centers(8)
    x, k = sample_mixture(centers, 8000, 0.05, generator=torch.Generator().manual_seed(0))
    assert x.shape == (8000, 2) and x.dtype == torch.float32
    counts = torch.bincount(k, minlength=8)
    assert (counts - 1000).abs().max() < 4 * math.sqrt(1000)  # uniform components
    offset = x.double() - centers[k]
    assert abs(offset.std().item() - 0.05) < 0.002
    again, _ = sample_mixture(centers, 8000, 0.05, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, again)
