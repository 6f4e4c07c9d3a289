"""Tests of the SYNTHETIC ``long_range_task``: seeding, shapes, the labelling rule checked by a
plain loop, the distances, and that out of a window's reach the label is at chance."""

import pytest
import torch

from mllab.data import accuracy_by_distance, long_range_task, long_range_vocab


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_it_is_seeded_by_the_generator_alone():
    a = long_range_task(20, 9, 3, generator=_gen(0))
    b = long_range_task(20, 9, 3, generator=_gen(0))
    c = long_range_task(20, 9, 3, generator=_gen(1))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


@pytest.mark.parametrize(("n", "length", "classes"), [(1, 1, 2), (7, 5, 3), (30, 16, 4)])
def test_shapes_ranges_and_one_cue_per_sequence(n, length, classes):
    task = long_range_task(n, length, classes, generator=_gen(2))
    assert task.x.shape == task.y.shape == task.distance.shape == (n, length)
    assert task.cue_position.shape == (n,)
    assert task.x.min() >= 0 and task.x.max() < long_range_vocab(classes)
    assert task.y.min() >= 0 and task.y.max() < classes
    assert ((task.x >= classes).sum(1) == 1).all()  # exactly one cue token


def test_labels_and_distances_follow_the_rule_written_as_a_loop():
    K = 4
    task = long_range_task(50, 12, K, generator=_gen(3))
    for x, y, d, p in zip(task.x.tolist(), task.y.tolist(), task.distance.tolist(),
                          task.cue_position.tolist(), strict=True):
        cue = [t for t, token in enumerate(x) if token >= K]
        assert cue == [p]
        c = x[p] - K
        for t, token in enumerate(x):
            assert y[t] == (c if t == p else (token + c) % K)
            assert d[t] == abs(t - p)


def test_every_position_can_hold_the_cue():
    task = long_range_task(2000, 10, 2, generator=_gen(4))
    assert set(task.cue_position.tolist()) == set(range(10))


def test_without_the_cue_the_label_is_independent_of_the_fillers_seen():
    # Out of reach of the cue, the best guess from the filler at t is at chance: for each
    # filler value, every label appears about equally often.
    K = 3
    task = long_range_task(4000, 16, K, generator=_gen(5))
    far = task.distance > 0
    for f in range(K):
        labels = task.y[far & (task.x == f)]
        share = torch.bincount(labels, minlength=K).double() / len(labels)
        assert (share - 1 / K).abs().max() < 0.02


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="classes >= 2"):
        long_range_task(3, 4, 1, generator=_gen(0))


def test_accuracy_by_distance_counts_each_distance_as_a_loop_does():
    task = long_range_task(40, 8, 3, generator=_gen(6))
    predicted = torch.randint(0, 3, task.y.shape, generator=_gen(7))
    got = accuracy_by_distance(predicted, task.y, task.distance, 9)
    for d in range(10):
        pairs = [(a, b) for a, b, e in zip(predicted.flatten().tolist(), task.y.flatten().tolist(),
                                           task.distance.flatten().tolist(), strict=True) if e == d]
        if pairs:
            assert got[d] == pytest.approx(sum(a == b for a, b in pairs) / len(pairs))
        else:
            assert got[d] != got[d]  # NaN: no position that far (d > T - 1)
