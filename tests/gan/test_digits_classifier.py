"""The digits classifier (the stand-in for Inception): loss at initialisation near ln 10, held-out
accuracy after training, the same generator giving the same network, probabilities and
features of the documented shapes."""

import math

import torch
import torch.nn.functional as F

from mllab.gan.digit_images import load_digit_images
from mllab.gan.digits_classifier import DigitsClassifier, train_digits_classifier
from mllab.metrics import accuracy


def _split():
    x, y = load_digit_images()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, test = order[:1300], order[1300:]
    return x[train], y[train], x[test], y[test]


def test_untrained_loss_is_near_ln_10():
    x, y, _, _ = _split()
    torch.manual_seed(0)
    loss = F.cross_entropy(DigitsClassifier()(x), y).item()
    assert abs(loss - math.log(10)) < 0.3


def test_it_learns_the_digits_and_is_reproducible():
    x, y, x_test, y_test = _split()
    model = train_digits_classifier(x, y, generator=torch.Generator().manual_seed(1), steps=200)
    assert accuracy(model(x_test), y_test) > 0.9
    again = train_digits_classifier(x, y, generator=torch.Generator().manual_seed(1), steps=3)
    same = train_digits_classifier(x, y, generator=torch.Generator().manual_seed(1), steps=3)
    for a, b in zip(again.parameters(), same.parameters(), strict=True):
        assert torch.equal(a, b)
    p = model.probabilities(x_test[:5])
    assert p.shape == (5, 10) and torch.allclose(p.sum(1), torch.ones(5))
    assert model.features(x_test[:5]).shape == (5, 64)


def test_28_by_28_images_get_a_classifier_of_their_size():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(20, 1, 28, 28, generator=g) * 2 - 1, torch.arange(20) % 10
    net = train_digits_classifier(x, y, steps=2, generator=g)
    assert net.features(x).shape == (20, 64) and net(x).shape == (20, 10)
