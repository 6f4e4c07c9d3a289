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


def set_threads(threads: int | None) -> int:
    r"""Set torch's intra-op thread count (``None`` keeps the current one); return it."""
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def _bytes_to_text(t: torch.Tensor) -> str:
    return base64.b64encode(t.numpy().tobytes()).decode("ascii")


def _text_to_bytes(s: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.uint8)


def generator_state(generator: torch.Generator) -> str:
    r"""A ``torch.Generator``'s state as JSON-safe text."""
    return _bytes_to_text(generator.get_state())


def set_generator_state(generator: torch.Generator, state: str) -> None:
    r"""Restore a state written by :func:`generator_state`."""
    generator.set_state(_text_to_bytes(state))


def rng_states() -> dict:
    r"""The global RNG states of torch, python and numpy as JSON-safe values."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": _bytes_to_text(torch.get_rng_state()),
        "python": [version, list(internal), gauss],
        "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
    }


def set_rng_states(states: dict) -> None:
    r"""Restore the global RNG states written by :func:`rng_states`."""
    torch.set_rng_state(_text_to_bytes(states["torch"]))
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
