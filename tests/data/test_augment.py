"""Shifted copies: by hand on a tiny image, and labels follow their examples."""

import pytest
import torch

from mllab.data import shift_images, with_shifted_copies


def test_shift_by_hand():
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    down = shift_images(x, 1, 0)
    assert down[0, 0].tolist() == [[0, 0, 0], [1, 2, 3], [4, 5, 6]]
    left = shift_images(x, 0, -1)
    assert left[0, 0].tolist() == [[2, 3, 0], [5, 6, 0], [8, 9, 0]]
    assert torch.equal(shift_images(x, 0, 0), x)


def test_shifted_copies_keep_labels_and_shape():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(4, 64, generator=g), torch.tensor([0, 1, 2, 3])
    xa, ya = with_shifted_copies(x, y, (1, 8, 8))
    assert xa.shape == (20, 64) and ya.tolist() == [0, 1, 2, 3] * 5
    assert torch.equal(xa[:4], x)
    assert torch.equal(xa[8:12].reshape(4, 8, 8)[:, 1:], x.reshape(4, 8, 8)[:, :-1])  # down


def test_shift_too_large_is_refused():
    with pytest.raises(ValueError, match="smaller than the image"):
        shift_images(torch.zeros(1, 1, 3, 3), 3, 0)
