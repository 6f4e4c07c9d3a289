"""Random resize and padding: the output size, the image found intact after a resize of rate
1, zero padding around it, the same draws from the same generator, gradients through it."""

import pytest
import torch

from mllab.adversarial import random_resize_pad
from mllab.config import ConfigError


def test_size_padding_and_reproducibility():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)) + 1.0
    a = random_resize_pad(x, torch.Generator().manual_seed(3), rate=1.5)
    b = random_resize_pad(x, torch.Generator().manual_seed(3), rate=1.5)
    assert a.shape == (2, 1, 12, 12) and torch.equal(a, b)
    rows = (a[0, 0] != 0).any(1).sum()  # the image occupies an r x r block, zeros elsewhere
    assert 8 <= rows <= 12 and (a[0, 0] != 0).sum() == rows ** 2


def test_rate_one_pads_nothing_and_prob_zero_is_identity():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(random_resize_pad(x, torch.Generator().manual_seed(0), rate=1.0), x)
    assert torch.equal(random_resize_pad(x, torch.Generator(), rate=1.5, prob=0.0), x)
    back = random_resize_pad(x, torch.Generator().manual_seed(1), rate=1.5, resize_back=True)
    assert back.shape == x.shape


def test_differentiable_and_validated():
    x = torch.rand(1, 1, 8, 8, requires_grad=True)
    random_resize_pad(x, torch.Generator().manual_seed(0), rate=1.25).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ConfigError, match="rate"):
        random_resize_pad(x, torch.Generator(), rate=0.5)
