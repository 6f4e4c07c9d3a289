"""Tests of ``mllab.data.train_valid_split``: the very split HW1's sample code draws with
``torch.utils.data.random_split``, disjoint and covering, deterministic, arguments checked."""

import pytest
import torch
from torch.utils.data import random_split

from mllab.config import ConfigError
from mllab.data import train_valid_split


@pytest.mark.parametrize("n, valid_ratio, seed", [
    (2700, 0.2, 5201314), (100, 0.1, 0), (101, 0.25, 1), (7, 0.5, 2**63 + 5),
])
def test_equals_random_split_on_a_range_dataset(n, valid_ratio, seed):
    # the HW1 sample code, written out
    valid_set_size = int(valid_ratio * n)
    train_set_size = n - valid_set_size
    train_set, valid_set = random_split(range(n), [train_set_size, valid_set_size],
                                        generator=torch.Generator().manual_seed(seed))
    train_idx, valid_idx = train_valid_split(n, valid_ratio, seed)
    assert train_idx.dtype == valid_idx.dtype == torch.int64
    assert train_idx.tolist() == [train_set[i] for i in range(len(train_set))]
    assert valid_idx.tolist() == [valid_set[i] for i in range(len(valid_set))]


@pytest.mark.parametrize("n, valid_ratio", [(2700, 0.2), (10, 0.15), (3, 0.5)])
def test_disjoint_covering_and_sized_as_the_course_sizes_them(n, valid_ratio):
    train_idx, valid_idx = train_valid_split(n, valid_ratio, seed=3)
    assert len(valid_idx) == int(valid_ratio * n) and len(train_idx) == n - len(valid_idx)
    assert sorted(torch.cat([train_idx, valid_idx]).tolist()) == list(range(n))


def test_deterministic_for_a_seed_and_different_across_seeds():
    a, b, c = (train_valid_split(500, 0.2, seed=s) for s in (1, 1, 2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


@pytest.mark.parametrize("kwargs, field", [
    ({"n": 1, "valid_ratio": 0.5, "seed": 0}, "n"),
    ({"n": 10.0, "valid_ratio": 0.5, "seed": 0}, "n"),
    ({"n": 10, "valid_ratio": 0.0, "seed": 0}, "valid_ratio"),
    ({"n": 10, "valid_ratio": 1.0, "seed": 0}, "valid_ratio"),
    ({"n": 10, "valid_ratio": float("nan"), "seed": 0}, "valid_ratio"),
    ({"n": 10, "valid_ratio": "0.2", "seed": 0}, "valid_ratio"),
    ({"n": 10, "valid_ratio": 0.05, "seed": 0}, "valid_ratio"),  # int(0.5) = 0 valid rows
    ({"n": 10, "valid_ratio": 0.2, "seed": -1}, "seed"),
    ({"n": 10, "valid_ratio": 0.2, "seed": 2**64}, "seed"),
])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field} must"):
        train_valid_split(**kwargs)
