"""Tests of ``mllab.data.batch_indices``: each index once per epoch, seeding, batch sizes."""

import pytest
import torch

from mllab.data import batch_indices, updates_per_epoch


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (10, 1), (10, 10), (10, 15), (1, 4)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_index_exactly_once_per_epoch(n, batch_size, shuffle):
    batches = batch_indices(
        n, batch_size, generator=torch.Generator().manual_seed(0), shuffle=shuffle
    )
    assert torch.equal(torch.cat(batches).sort().values, torch.arange(n))
    assert all(b.dtype == torch.int64 for b in batches)


@pytest.mark.parametrize(
    ("batch_size", "sizes"),
    [(1, [1] * 12), (12, [12]), (17, [12]), (5, [5, 5, 2]), (4, [4, 4, 4])],
)
def test_batch_sizes(batch_size, sizes):
    batches = batch_indices(12, batch_size, generator=torch.Generator().manual_seed(1))
    assert [len(b) for b in batches] == sizes


def test_is_one_permutation_from_the_generator():
    batches = batch_indices(20, 6, generator=torch.Generator().manual_seed(2))
    expected = torch.randperm(20, generator=torch.Generator().manual_seed(2))
    assert torch.equal(torch.cat(batches), expected)


def test_seeded_generator_is_deterministic_and_seeds_differ():
    def epoch(seed: int) -> torch.Tensor:
        return torch.cat(batch_indices(50, 8, generator=torch.Generator().manual_seed(seed)))

    assert torch.equal(epoch(3), epoch(3))
    assert not torch.equal(epoch(3), epoch(4))


def test_successive_epochs_reshuffle():
    g = torch.Generator().manual_seed(5)
    first = torch.cat(batch_indices(50, 8, generator=g))
    second = torch.cat(batch_indices(50, 8, generator=g))
    assert not torch.equal(first, second)


def test_no_shuffle_gives_arange_chunks():
    batches = batch_indices(7, 3, generator=None, shuffle=False)
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]


def test_zero_samples_give_no_batches():
    assert batch_indices(0, 4, generator=torch.Generator().manual_seed(0)) == []


@pytest.mark.parametrize("batch_size", [0, -3])
def test_rejects_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        batch_indices(10, batch_size, generator=None)


@pytest.mark.parametrize(("n", "batch", "updates"), [(10, None, 1), (10, 1, 10), (10, 3, 4),
                                                     (10, 10, 1), (10, 64, 1), (1079, 32, 34)])
def test_updates_per_epoch_is_the_number_of_batches(n, batch, updates):
    assert updates_per_epoch(n, batch) == updates
    if batch is not None:
        assert len(batch_indices(n, batch, generator=torch.Generator())) == updates
