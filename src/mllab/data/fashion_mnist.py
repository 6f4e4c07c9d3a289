r"""Fashion-MNIST (Xiao et al., arXiv:1708.07747) where it is installed: 70,000 grey 28×28
images of clothing in ten classes, read from the IDX files of Debian's
``dataset-fashion-mnist`` package. An option, never required: nothing downloads, and every
experiment's default data are scikit-learn's digits.

The IDX format (as on the dataset's page): a big-endian header, magic ``0x00000803`` then the
counts ``N, 28, 28`` for images, ``0x00000801`` then ``N`` for labels, then one unsigned byte
per pixel or label. Files may be gzip-compressed (``.gz``), as the package ships them.

Pixels are scaled like :func:`mllab.gan.load_digit_images`'s, to :math:`x = p / 127.5 - 1 \in
[-1, 1]` for a generator ending in tanh.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import torch
from torch import Tensor

from mllab.config import ConfigError, require

__all__ = ["FASHION_MNIST_DIRS", "FASHION_MNIST_SPLITS", "fashion_mnist_dir", "load_fashion_mnist",
           "read_idx"]

FASHION_MNIST_DIRS = ("/usr/share/dataset-fashion-mnist", "/usr/share/fashion-mnist")
r"""Where Debian's package may put the files; ``$MLLAB_FASHION_MNIST`` is looked at first."""
FASHION_MNIST_SPLITS = {"train": "train", "test": "t10k"}
r"""Split name: the files' prefix (``train-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``)."""
_MAGIC = {0x00000801: 1, 0x00000803: 3}
r"""Unsigned-byte IDX magic number: the number of dimensions it announces."""


def read_idx(path: Path) -> Tensor:
    r"""An unsigned-byte IDX file (optionally gzip-compressed) as a ``uint8`` tensor of the
    shape its header gives; refuses any other magic number or a file of the wrong length."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _MAGIC:
        raise ConfigError(f"{path} is not an unsigned-byte IDX file (magic {magic:#010x})")
    ndim = _MAGIC[magic]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = raw[4 + 4 * ndim:]
    if len(body) != torch.Size(shape).numel():
        raise ConfigError(f"{path} holds {len(body)} values, its header says {shape}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).view(shape)


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}.gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def fashion_mnist_dir(root: str | Path | None = None) -> Path:
    r"""The directory holding the files: ``root``, else ``$MLLAB_FASHION_MNIST``, else the first
    of :data:`FASHION_MNIST_DIRS` that has them; one line naming where it looked otherwise."""
    candidates = [Path(root)] if root is not None else [
        Path(p) for p in (os.environ.get("MLLAB_FASHION_MNIST"), *FASHION_MNIST_DIRS) if p]
    for directory in candidates:
        if _find(directory, "train-images-idx3-ubyte") is not None:
            return directory
    raise ConfigError(
        "Fashion-MNIST is not installed: no train-images-idx3-ubyte[.gz] in "
        f"{', '.join(map(str, candidates))}; install Debian's dataset-fashion-mnist or set "
        "MLLAB_FASHION_MNIST, or use the default data, digits")


def load_fashion_mnist(split: str = "train", root: str | Path | None = None,
                       dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    r"""``(x (N, 1, 28, 28) in [-1, 1], y (N,) int64)`` of the ``"train"`` (60,000) or
    ``"test"`` (10,000) split."""
    require(split in FASHION_MNIST_SPLITS, "split", f"one of {', '.join(FASHION_MNIST_SPLITS)}",
            split)
    directory = fashion_mnist_dir(root)
    prefix = FASHION_MNIST_SPLITS[split]
    files = {kind: _find(directory, f"{prefix}-{kind}-idx{n}-ubyte")
             for kind, n in (("images", 3), ("labels", 1))}
    missing = [kind for kind, path in files.items() if path is None]
    if missing:
        raise ConfigError(f"Fashion-MNIST in {directory} lacks the {split} {missing[0]}")
    images, labels = read_idx(files["images"]), read_idx(files["labels"])
    if images.dim() != 3 or len(images) != len(labels):
        raise ConfigError(f"Fashion-MNIST in {directory}: {tuple(images.shape)} images for "
                          f"{len(labels)} labels")
    x = images.to(dtype).unsqueeze(1) / 127.5 - 1  # (N, 1, 28, 28)
    return x, labels.to(torch.int64)
