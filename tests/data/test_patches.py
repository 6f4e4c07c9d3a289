"""Tests of ``image_patches``: row-major patches checked pixel by pixel against a loop, against
``torch.nn.functional.unfold`` (an independent reference), and the inverse reshape."""

import pytest
import torch

from mllab.data import image_patches


@pytest.mark.parametrize(("H", "W", "p"), [(8, 8, 2), (8, 8, 4), (6, 9, 3), (4, 4, 1)])
def test_patches_match_a_loop(H, W, p):
    images = torch.randn(3, H, W, generator=torch.Generator().manual_seed(0))
    x = image_patches(images, p)
    assert x.shape == (3, (H // p) * (W // p), p * p)
    for i in range(H // p):
        for j in range(W // p):
            t = i * (W // p) + j
            assert torch.equal(x[:, t], images[:, i * p:(i + 1) * p, j * p:(j + 1) * p]
                               .reshape(3, p * p))


def test_patches_match_unfold():
    images = torch.randn(5, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    reference = torch.nn.functional.unfold(images[:, None], kernel_size=2, stride=2)  # (N, 4, T)
    assert torch.equal(image_patches(images, 2), reference.transpose(1, 2))


def test_every_pixel_appears_once():
    images = torch.arange(2 * 64.0).reshape(2, 8, 8)
    x = image_patches(images, 4)
    assert torch.equal(x.flatten(1).sort(1).values, images.flatten(1))


@pytest.mark.parametrize("shape", [(8, 8), (2, 8, 7)])
def test_bad_shapes_raise(shape):
    with pytest.raises(ValueError):
        image_patches(torch.zeros(shape), 2)
