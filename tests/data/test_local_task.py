"""Tests of the SYNTHETIC ``local_task``: seeding, shapes, labels counted by a loop, and that a
token farther than r away never changes a label."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.data import local_counts, local_task
from mllab.data.local_task import LOCAL_MARKER


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_local_task_is_seeded():
    x1, y1 = local_task(20, 10, 5, 2, generator=_gen(0))
    x2, y2 = local_task(20, 10, 5, 2, generator=_gen(0))
    x3, _ = local_task(20, 10, 5, 2, generator=_gen(1))
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and not torch.equal(x1, x3)


@pytest.mark.parametrize(("n", "T", "vocab", "r"), [(1, 1, 2, 0), (7, 9, 4, 1), (30, 40, 6, 3)])
def test_labels_count_markers_within_r_by_a_loop(n, T, vocab, r):
    x, y = local_task(n, T, vocab, r, generator=_gen(5))
    assert x.shape == y.shape == (n, T) and x.dtype == y.dtype == torch.int64
    assert x.min() >= 0 and x.max() < vocab and y.min() >= 0 and y.max() <= 2 * r + 1
    for b in range(n):
        for t in range(T):
            window = x[b, max(0, t - r): t + r + 1]
            assert y[b, t] == int((window == LOCAL_MARKER).sum())


def test_tokens_farther_than_r_never_change_a_label():
    x, y = local_task(50, 20, 5, 2, generator=_gen(6))
    far = x.clone()
    far[:, 10:] = torch.randint(0, 5, (50, 10), generator=_gen(7))
    assert torch.equal(local_counts(far, 2)[:, :8], y[:, :8])  # t <= 7: t + 2 < 10


def test_marker_rate():
    x, _ = local_task(400, 50, 5, 1, generator=_gen(8), p_marker=0.3)
    assert abs((x == LOCAL_MARKER).double().mean().item() - 0.3) < 0.01


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"T": 0}, {"vocab": 1}, {"r": -1},
                                    {"p_marker": 1.0}])
def test_bad_arguments_raise(kwargs):
    args = {"n": 3, "T": 4, "vocab": 3, "r": 1} | kwargs
    p = args.pop("p_marker", 0.25)
    with pytest.raises(ConfigError):
        local_task(args["n"], args["T"], args["vocab"], args["r"], generator=_gen(0), p_marker=p)
