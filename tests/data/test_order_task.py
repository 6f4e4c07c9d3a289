"""Tests of the SYNTHETIC ``order_task``: seeding, shapes, exactly one A and one B per sequence,
labels from their order, and token multisets that say nothing about the label."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.data import order_task
from mllab.data.order_task import ORDER_TOKEN_A, ORDER_TOKEN_B


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_order_task_is_seeded():
    x1, y1 = order_task(50, 8, 6, generator=_gen(0))
    x2, y2 = order_task(50, 8, 6, generator=_gen(0))
    x3, _ = order_task(50, 8, 6, generator=_gen(1))
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and not torch.equal(x1, x3)


@pytest.mark.parametrize(("n", "T", "vocab"), [(1, 2, 3), (30, 5, 4), (200, 16, 10)])
def test_shapes_and_one_a_and_one_b(n, T, vocab):
    x, y = order_task(n, T, vocab, generator=_gen(2))
    assert x.shape == (n, T) and y.shape == (n,) and x.dtype == y.dtype == torch.int64
    assert ((x == ORDER_TOKEN_A).sum(1) == 1).all() and ((x == ORDER_TOKEN_B).sum(1) == 1).all()
    assert x.min() >= 0 and x.max() < vocab


def test_label_is_a_before_b_by_a_loop():
    x, y = order_task(100, 7, 5, generator=_gen(3))
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        assert label == int(row.index(ORDER_TOKEN_A) < row.index(ORDER_TOKEN_B))


def test_classes_are_balanced_and_multisets_carry_no_label():
    x, y = order_task(20000, 6, 4, generator=_gen(4))
    assert abs(y.double().mean().item() - 0.5) < 0.02
    # the filler counts (the multiset) have the same distribution in both classes
    counts = torch.stack([(x == v).sum(1) for v in range(2, 4)], 1).double()  # (n, 2)
    assert (counts[y == 1].mean(0) - counts[y == 0].mean(0)).abs().max() < 0.05


@pytest.mark.parametrize(("n", "T", "vocab"), [(0, 4, 4), (5, 1, 4), (5, 4, 2)])
def test_bad_sizes_raise(n, T, vocab):
    with pytest.raises(ConfigError):
        order_task(n, T, vocab, generator=_gen(0))
