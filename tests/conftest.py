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
