"""Shared test helpers: run the ``mllab`` command in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_mllab(*args: str, cwd: Path | None = None, env: dict | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m mllab ARGS`` with captured text output."""
    return subprocess.run([sys.executable, "-m", "mllab", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def mllab():
    return run_mllab


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Tests use one torch thread, as mllab runs do by default: on a shared 2-core machine a
    second thread makes tiny ops stall (see mllab.experiments.runner.default_threads)."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def fake_fashion_mnist():
    """``fake_fashion_mnist(directory, n=6, gz=True)``: write Fashion-MNIST's four IDX files
    (both splits the same ``n`` random 28×28 images, labels ``i % 10``) and return
    ``(images uint8 (n, 28, 28), labels uint8 (n,))``."""
    import gzip

    import torch

    def write(directory: Path, n: int = 6, gz: bool = True):
        images = torch.randint(256, (n, 28, 28), generator=torch.Generator().manual_seed(0),
                               dtype=torch.uint8)
        labels = torch.arange(n, dtype=torch.uint8) % 10
        for prefix in ("train", "t10k"):
            for kind, magic, values in (("images-idx3", 0x803, images),
                                        ("labels-idx1", 0x801, labels)):
                header = magic.to_bytes(4, "big") + b"".join(
                    d.to_bytes(4, "big") for d in values.shape)
                path = directory / f"{prefix}-{kind}-ubyte{'.gz' if gz else ''}"
                with (gzip.open if gz else open)(path, "wb") as f:
                    f.write(header + values.numpy().tobytes())
        return images, labels

    return write
