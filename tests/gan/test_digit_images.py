"""The digits as images: shape, range [-1, 1] and the inverse scaling back to scikit-learn's
pixels."""

import torch
from sklearn.datasets import load_digits

from mllab.gan.digit_images import load_digit_images, to_pixels


def test_shape_range_and_round_trip():
    x, y = load_digit_images()
    assert x.shape == (1797, 1, 8, 8) and y.shape == (1797,) and y.dtype == torch.int64
    assert x.min() == -1 and x.max() == 1
    bunch = load_digits()
    assert torch.equal(to_pixels(x).squeeze(1), torch.as_tensor(bunch.images, dtype=x.dtype))
    assert torch.equal(y, torch.as_tensor(bunch.target))
