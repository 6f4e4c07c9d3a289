"""The Fashion-MNIST reader on IDX files written here (the real data are optional): headers,
gzip, scaling, the search order of its directory, and one-line refusals."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.data.fashion_mnist import fashion_mnist_dir, load_fashion_mnist, read_idx


@pytest.mark.parametrize("gz", [True, False])
def test_reads_what_was_written_and_scales_to_minus_one_one(tmp_path, gz, fake_fashion_mnist):
    images, labels = fake_fashion_mnist(tmp_path, gz=gz)
    x, y = load_fashion_mnist("test", root=tmp_path, dtype=torch.float64)
    assert x.shape == (6, 1, 28, 28) and y.dtype == torch.int64
    assert torch.equal(y, labels.long())
    assert torch.allclose(x.squeeze(1), images.double() / 127.5 - 1)
    assert x.min() >= -1 and x.max() <= 1


def test_bad_files_are_refused_in_one_line(tmp_path):
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes((0x802).to_bytes(4, "big") + bytes(4))
    with pytest.raises(ConfigError, match="not an unsigned-byte IDX file"):
        read_idx(path)
    path.write_bytes((0x801).to_bytes(4, "big") + (5).to_bytes(4, "big") + b"\x00\x01")
    with pytest.raises(ConfigError, match=r"holds 2 values, its header says \[5\]"):
        read_idx(path)


def test_the_directory_root_then_the_environment(tmp_path, monkeypatch, fake_fashion_mnist):
    fake_fashion_mnist(tmp_path)
    monkeypatch.setenv("MLLAB_FASHION_MNIST", str(tmp_path))
    assert fashion_mnist_dir() == tmp_path
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="Fashion-MNIST is not installed.*digits"):
        fashion_mnist_dir(empty)
    with pytest.raises(ConfigError, match="split must be one of train, test"):
        load_fashion_mnist("valid", root=tmp_path)


def test_a_missing_label_file_is_named(tmp_path, fake_fashion_mnist):
    fake_fashion_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ConfigError, match="lacks the test labels"):
        load_fashion_mnist("test", root=tmp_path)

