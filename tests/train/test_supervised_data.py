"""What the Trainer trains on: tensors as they are, a TensorDataset or a DataLoader over one
taken apart, and every other loader refused with the list of what is accepted."""

import numpy as np
import pytest
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from mllab.train.supervised_data import ACCEPTED, supervised_tensors

X = torch.arange(24.0).reshape(12, 2)
Y = torch.arange(12)


def test_tensors_and_a_tensor_dataset_are_taken_as_they_are():
    for data in [(X, Y), [X, Y], TensorDataset(X, Y)]:
        x, y, batch = supervised_tensors(data, "train", training=True)
        assert x is X and y is Y and batch is None


def test_a_shuffling_loader_gives_its_tensors_and_batch_size_and_the_same_batches():
    loader = DataLoader(TensorDataset(X, Y), batch_size=5, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    x, y, batch = supervised_tensors(loader, "train", training=True)
    assert x is X and y is Y and batch == 5
    # what the loader yields: batches of 5, 5, 2 rows x[idx], y[idx] of one permutation idx
    batches = list(loader)
    assert [len(b) for b, _ in batches] == [5, 5, 2]
    idx = torch.cat([yb for _, yb in batches])
    assert sorted(idx.tolist()) == list(range(12))
    assert torch.equal(torch.cat([xb for xb, _ in batches]), X[idx])


def test_validation_data_may_come_in_any_order():
    x, y, batch = supervised_tensors(DataLoader(TensorDataset(X, Y), batch_size=64), "valid",
                                     training=False)
    assert x is X and y is Y and batch == 64


@pytest.mark.parametrize(("data", "what"), [
    (DataLoader(TensorDataset(X, Y), batch_size=4), "a DataLoader with shuffle=False"),
    (DataLoader(list(zip(X, Y, strict=True)), batch_size=4, shuffle=True),
     "a DataLoader over a list"),
    (DataLoader(TensorDataset(X, Y), batch_sampler=BatchSampler(RandomSampler(X), 4, False)),
     "a DataLoader with a batch_sampler"),
    (DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, collate_fn=lambda b: b),
     "a DataLoader with its own collate_fn"),
    (DataLoader(TensorDataset(X, Y), batch_size=5, shuffle=True, drop_last=True),
     "a DataLoader with drop_last=True"),
    (DataLoader(TensorDataset(X, Y), batch_size=4,
                sampler=RandomSampler(X, replacement=True)),
     "a DataLoader whose sampler is a RandomSampler other than shuffle=True's"),
    ((X.numpy(), Y.numpy()), "a tuple of 2: ndarray, ndarray"),
    (TensorDataset(X, Y, Y), "a tuple of 3: Tensor, Tensor, Tensor"),
    ({"x": X, "y": Y}, "a dict"),
    (np.zeros((3, 2)), "a ndarray"),
], ids=lambda v: "" if not isinstance(v, str) else v.split(" with ")[-1][:20])
def test_anything_else_is_refused_naming_what_is_accepted(data, what):
    with pytest.raises(TypeError) as refused:
        supervised_tensors(data, "train", training=True)
    message = str(refused.value)
    assert what in message and message.endswith(f"the Trainer accepts {ACCEPTED}")
    assert message.startswith("train")


def test_rows_must_match():
    with pytest.raises(ValueError, match="valid: x and y must have the same number of rows "
                                         r"\(>= 1\), got 12 and 11"):
        supervised_tensors((X, Y[:11]), "valid", training=False)
