r"""What :meth:`mllab.train.Trainer.fit` trains on: two tensors, however they are handed over.

The Trainer's exact resume rests on one fact: each epoch's batches are slices ``x[idx]``,
``y[idx]`` of two in-memory tensors, with ``idx`` cut from a permutation that the Trainer
draws from its own seeded generator and saves in every checkpoint. A
``torch.utils.data.DataLoader`` in general cannot give that (its sampler's position inside an
epoch and its workers' state are not part of any state dict), so the Trainer accepts only the
loaders that *are* two tensors and a batch size, and takes those:

- ``(x, y)``: a tuple (or list) of two tensors with as many rows;
- ``TensorDataset(x, y)``;
- ``DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True)`` for training (any
  ``shuffle`` for validation), with the default ``collate_fn`` and ``drop_last=False``: the
  Trainer trains on ``x``, ``y`` in batches of ``B``, in the order its own generator draws,
  the same batches, up to that order, that the loader would yield. The loader's sampler and
  generator are not used; ``num_workers`` and ``pin_memory`` do not matter.

Any other loader (another dataset, a ``batch_sampler``, ``shuffle=False`` for training, a
custom ``collate_fn``, ``drop_last=True``) is refused with one :class:`TypeError` that says
what is accepted, rather than trained on with a different order or different batches.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.utils.data import (
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
)

__all__ = ["ACCEPTED", "supervised_tensors"]

ACCEPTED = ("(x, y) tensors, a TensorDataset(x, y), or a DataLoader over a TensorDataset(x, y) "
            "with a batch_size, the default collate_fn, drop_last=False and, for training, "
            "shuffle=True (the Trainer draws each epoch's order from its own seeded generator)")
"""The sentence every refusal ends with."""


def _refuse(name: str, what: str) -> TypeError:
    return TypeError(f"{name}: got {what}; the Trainer accepts {ACCEPTED}")


def _pair(tensors: Any, name: str) -> tuple[Tensor, Tensor]:
    if not (isinstance(tensors, tuple | list) and len(tensors) == 2
            and all(torch.is_tensor(t) for t in tensors)):
        kinds = (f"a {type(tensors).__name__} of {len(tensors)}: "
                 f"{', '.join(type(t).__name__ for t in tensors)}"
                 if isinstance(tensors, tuple | list) else f"a {type(tensors).__name__}")
        raise _refuse(name, kinds)
    x, y = tensors
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"{name}: x and y must have the same number of rows (>= 1), got "
                         f"{len(x)} and {len(y)}")
    return x, y


def _loader_pair(loader: DataLoader, name: str, *, training: bool) -> tuple[Tensor, Tensor]:
    dataset = loader.dataset
    if not isinstance(dataset, TensorDataset):
        raise _refuse(name, f"a DataLoader over a {type(dataset).__name__}")
    if loader.batch_size is None:
        raise _refuse(name, "a DataLoader with a batch_sampler")
    if loader.collate_fn is not default_collate:
        raise _refuse(name, "a DataLoader with its own collate_fn")
    if loader.drop_last:
        raise _refuse(name, "a DataLoader with drop_last=True")
    sampler = loader.sampler
    if training and type(sampler) is SequentialSampler:
        raise _refuse(name, "a DataLoader with shuffle=False")
    if training and not (type(sampler) is RandomSampler and not sampler.replacement
                         and sampler.num_samples == len(dataset)):
        raise _refuse(name, f"a DataLoader whose sampler is a {type(sampler).__name__} "
                            "other than shuffle=True's")
    return _pair(dataset.tensors, f"{name}.dataset.tensors")


def supervised_tensors(data: Any, name: str, *,
                       training: bool) -> tuple[Tensor, Tensor, int | None]:
    r"""The tensors ``x``, ``y`` that ``data`` holds, and the batch size a loader asks for.

    Args:
        data: ``(x, y)``, a ``TensorDataset(x, y)`` or a ``DataLoader`` over one (see the
            module docstring for which loaders).
        name: the argument's name, for messages (``"train"``, ``"valid"``).
        training: whether the data is trained on (a loader must then shuffle).

    Returns:
        ``(x, y, batch_size)``; ``batch_size`` is the loader's, ``None`` for tensors and
        datasets.

    Raises:
        TypeError: ``data`` is none of the accepted kinds; the message lists them.
        ValueError: ``x`` and ``y`` have different numbers of rows, or none.
    """
    if isinstance(data, DataLoader):
        return (*_loader_pair(data, name, training=training), data.batch_size)
    if isinstance(data, TensorDataset):
        return (*_pair(data.tensors, f"{name}.tensors"), None)
    return (*_pair(data, name), None)
