"""The GAN experiments' images by name: the digits always, Fashion-MNIST where installed
(IDX files written here), and one-line refusals."""

import pytest

from mllab.config import ConfigError
from mllab.gan import load_gan_images, require_image_data


def test_digits_always_fashion_mnist_where_installed(tmp_path, monkeypatch, fake_fashion_mnist):
    fake_fashion_mnist(tmp_path)
    monkeypatch.setenv("MLLAB_FASHION_MNIST", str(tmp_path))
    assert load_gan_images("fashion-mnist")[0].shape == (6, 1, 28, 28)
    assert load_gan_images("digits")[0].shape == (1797, 1, 8, 8)
    with pytest.raises(ConfigError, match="data must be one of digits, fashion-mnist"):
        load_gan_images("mnist")
    monkeypatch.setenv("MLLAB_FASHION_MNIST", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="Fashion-MNIST is not installed"):
        require_image_data("fashion-mnist")
