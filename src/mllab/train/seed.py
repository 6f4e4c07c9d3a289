r"""Seeding, thread count and the random-number-generator state that a checkpoint carries.

Same seed and same thread count give bitwise-identical results on a CPU; both are recorded
with every run and every checkpoint.
"""

from __future__ import annotations

import base64
import random
import zlib

import numpy as np
import torch


def seed_everything(seed: int) -> int:
    r"""Seed python's ``random``, numpy's global generator and torch; return ``seed``."""
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


def derive_seed(seed: int, name: str) -> int:
    r"""A stable seed for a named part of a run: ``(seed + crc32(name)) mod 2**31``."""
    return (seed + zlib.crc32(name.encode())) % 2**31


MAX_THREADS = 256
"""The most intra-op threads :func:`set_threads` accepts (torch crashes near 100,000)."""


def set_threads(threads: int | None) -> int:
    r"""Set torch's intra-op thread count (``None`` keeps the current one); return it."""
    if threads is not None:
        if not 1 <= threads <= MAX_THREADS:
            raise ValueError(f"threads must be in [1, {MAX_THREADS}], got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def bytes_to_text(t: torch.Tensor) -> str:
    r"""A uint8 tensor (an RNG state) as base64 text."""
    return base64.b64encode(t.numpy().tobytes()).decode("ascii")


def text_to_bytes(s: str) -> torch.Tensor:
    r"""Inverse of :func:`bytes_to_text`."""
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.uint8)


def rng_states() -> dict:
    r"""The global RNG states of torch (CPU, and CUDA once in use), python and numpy as
    JSON-safe values."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    states = {
        "torch": bytes_to_text(torch.get_rng_state()),
        "python": [version, list(internal), gauss],
        "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["torch_cuda"] = [bytes_to_text(s) for s in torch.cuda.get_rng_state_all()]
    return states


def set_rng_states(states: dict) -> None:
    r"""Restore the global RNG states written by :func:`rng_states`."""
    torch.set_rng_state(text_to_bytes(states["torch"]))
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
    if "torch_cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([text_to_bytes(s) for s in states["torch_cuda"]])
