"""Seeding: every global generator, named seeds, and RNG states that survive JSON."""

import json
import random

import numpy as np
import pytest
import torch

from mllab.train import derive_seed, seed_everything, set_threads
from mllab.train.seed import bytes_to_text, rng_states, set_rng_states, text_to_bytes


def _draws() -> tuple:
    return random.random(), float(np.random.rand()), torch.rand(2).tolist()


def test_seed_everything_seeds_python_numpy_and_torch():
    assert seed_everything(5) == 5
    first = _draws()
    seed_everything(5)
    assert _draws() == first
    seed_everything(6)
    assert _draws() != first
    with pytest.raises(ValueError, match=r"seed must be in \[0, 2\*\*32\)"):
        seed_everything(-1)


def test_derived_seeds_are_stable_and_distinct():
    assert derive_seed(0, "views") == derive_seed(0, "views")
    assert len({derive_seed(s, n) for s in (0, 1) for n in ("a", "b", "c")}) == 6
    assert all(0 <= derive_seed(2**32 - 1, n) < 2**31 for n in ("a", "b"))


def test_rng_states_round_trip_through_json():
    seed_everything(3)
    _draws()
    saved = json.loads(json.dumps(rng_states()))
    expected = _draws()
    seed_everything(99)
    set_rng_states(saved)
    assert _draws() == expected
    t = torch.Generator().manual_seed(1).get_state()
    assert torch.equal(text_to_bytes(bytes_to_text(t)), t)


def test_set_threads_refuses_counts_outside_1_to_256_and_reports_the_count():
    before = torch.get_num_threads()
    assert set_threads(None) == before
    assert set_threads(1) == 1
    for bad in (0, 257, 100_000):  # torch itself crashes near 100,000
        with pytest.raises(ValueError, match=r"threads must be in \[1, 256\]"):
            set_threads(bad)
    assert torch.get_num_threads() == 1
    set_threads(before)
