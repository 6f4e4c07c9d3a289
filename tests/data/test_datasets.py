"""Tests of ``mllab.data.load_dataset`` and ``split_indices``: determinism, disjoint covering
splits, stratification, and standardization with training statistics (parity with
scikit-learn's ``StandardScaler`` in float64)."""

import numpy as np
import pytest
import torch
from sklearn import datasets as sk_datasets
from sklearn.preprocessing import StandardScaler

from mllab.data import DATASETS, Split, load_dataset, raw_diabetes, split_indices

CLASSIFICATION = ("breast_cancer", "iris", "wine", "digits")


def _tensors(split: Split) -> list[torch.Tensor]:
    return [split.x_train, split.y_train, split.x_valid, split.y_valid, split.x_test, split.y_test]


def _sorted_rows(x: np.ndarray, y: np.ndarray) -> list[tuple[float, ...]]:
    """Multiset of (features..., target) rows, as a sorted list."""
    return sorted(map(tuple, np.column_stack([x, y]).tolist()))


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_gives_identical_split(name):
    a = load_dataset(name, seed=3)
    b = load_dataset(name, seed=3)
    assert all(torch.equal(ta, tb) for ta, tb in zip(_tensors(a), _tensors(b), strict=True))


@pytest.mark.parametrize("name", DATASETS)
def test_different_seeds_give_different_splits(name):
    a = load_dataset(name, seed=0, standardize=False)
    b = load_dataset(name, seed=1, standardize=False)
    assert a.x_train.shape == b.x_train.shape
    assert not torch.equal(a.x_train, b.x_train)
    assert not torch.equal(a.x_test, b.x_test)


@pytest.mark.parametrize("name", DATASETS)
def test_splits_are_disjoint_and_cover_the_dataset(name):
    bunch = getattr(sk_datasets, f"load_{name}")()
    split = load_dataset(name, seed=7, standardize=False, dtype=torch.float64)
    n = bunch.data.shape[0]
    sizes = [split.x_train.shape[0], split.x_valid.shape[0], split.x_test.shape[0]]
    assert sum(sizes) == n
    assert abs(sizes[1] - 0.2 * n) <= split.num_classes + 1  # rounding per class
    assert abs(sizes[2] - 0.2 * n) <= split.num_classes + 1
    x = torch.cat([split.x_train, split.x_valid, split.x_test]).numpy()
    y = torch.cat([split.y_train, split.y_valid, split.y_test]).numpy()
    # Same multiset of (row, label) as the full dataset: nothing lost, nothing duplicated.
    assert _sorted_rows(x, y) == _sorted_rows(bunch.data, bunch.target)


def test_split_indices_partition_and_follow_the_generator():
    y = torch.arange(50) % 3
    idx = split_indices(
        y, generator=torch.Generator().manual_seed(0), valid_fraction=0.3, test_fraction=0.1
    )
    everything = torch.cat(idx)
    assert torch.equal(everything.sort().values, torch.arange(50))
    assert [len(i) for i in idx] == [30, 15, 5]
    again = split_indices(
        y, generator=torch.Generator().manual_seed(0), valid_fraction=0.3, test_fraction=0.1
    )
    assert all(torch.equal(a, b) for a, b in zip(idx, again, strict=True))


def test_stratified_split_keeps_class_proportions():
    y = torch.tensor([0] * 60 + [1] * 30 + [2] * 10)
    train, valid, test = split_indices(
        y,
        generator=torch.Generator().manual_seed(1),
        valid_fraction=0.2,
        test_fraction=0.1,
        stratify=True,
    )
    assert torch.bincount(y[valid], minlength=3).tolist() == [12, 6, 2]
    assert torch.bincount(y[test], minlength=3).tolist() == [6, 3, 1]
    assert torch.bincount(y[train], minlength=3).tolist() == [42, 21, 7]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_splits_contain_every_class(name):
    split = load_dataset(name, seed=0)
    for y in (split.y_train, split.y_valid, split.y_test):
        assert y.dtype == torch.int64
        assert set(y.unique().tolist()) == set(range(split.num_classes))


def test_types_shapes_and_metadata():
    reg = load_dataset("diabetes", seed=0)
    assert reg.task == "regression" and reg.num_classes == 0
    assert reg.x_train.dtype == torch.float32 and reg.y_train.dtype == torch.float32
    assert reg.y_train.shape == (reg.x_train.shape[0],)
    assert reg.feature_names[:3] == ("age", "sex", "bmi") and reg.num_features == 10
    clf = load_dataset("iris", seed=0, dtype=torch.float64)
    assert clf.task == "classification" and clf.num_classes == 3
    assert clf.x_valid.dtype == torch.float64 and clf.x_test.shape[1] == 4
    assert len(clf.feature_names) == 4


@pytest.mark.parametrize("name", DATASETS)
def test_standardization_matches_sklearn_fitted_on_train(name):
    raw = load_dataset(name, seed=5, standardize=False, dtype=torch.float64)
    std = load_dataset(name, seed=5, standardize=True, dtype=torch.float64)
    sk = StandardScaler().fit(raw.x_train.numpy())
    for x_raw, x_std in (
        (raw.x_train, std.x_train),
        (raw.x_valid, std.x_valid),
        (raw.x_test, std.x_test),
    ):
        np.testing.assert_allclose(x_std.numpy(), sk.transform(x_raw.numpy()), rtol=0, atol=1e-6)
    assert torch.equal(raw.y_train, std.y_train)  # targets are never standardized
    assert raw.scaler is None and std.scaler is not None


def test_train_is_centered_and_scaled_but_valid_uses_train_statistics():
    split = load_dataset("wine", seed=2, dtype=torch.float64)
    torch.testing.assert_close(
        split.x_train.mean(0), torch.zeros(13), rtol=0, atol=1e-10, check_dtype=False
    )
    torch.testing.assert_close(
        split.x_train.std(0, correction=0), torch.ones(13), rtol=0, atol=1e-10, check_dtype=False
    )
    # Fitted on train only: the validation split is not exactly centered.
    assert split.x_valid.mean(0).abs().max() > 1e-3


def test_split_scaler_inverts_to_the_raw_inputs():
    raw = load_dataset("diabetes", seed=4, standardize=False, dtype=torch.float64)
    std = load_dataset("diabetes", seed=4, dtype=torch.float64)
    torch.testing.assert_close(std.scaler.inverse_transform(std.x_test), raw.x_test)


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError) as info:
        load_dataset("mnist", seed=0)
    message = str(info.value)
    assert "'mnist'" in message and "\n" not in message
    assert all(name in message for name in DATASETS)


@pytest.mark.parametrize(
    ("valid_fraction", "test_fraction", "named"),
    [
        (-0.1, 0.2, "valid_fraction"),
        (1.0, 0.0, "valid_fraction"),
        (0.2, 1.5, "test_fraction"),
        (0.5, 0.5, "valid_fraction \\+ test_fraction"),
    ],
)
def test_bad_fractions_are_rejected_by_name(valid_fraction, test_fraction, named):
    with pytest.raises(ValueError, match=named):
        load_dataset("iris", seed=0, valid_fraction=valid_fraction, test_fraction=test_fraction)


def test_zero_valid_fraction_gives_empty_valid_split():
    split = load_dataset("iris", seed=0, valid_fraction=0.0, test_fraction=0.2)
    assert split.x_valid.shape == (0, 4) and split.y_valid.shape == (0,)
    assert split.x_train.shape[0] + split.x_test.shape[0] == 150


def test_split_is_frozen():
    split = load_dataset("iris", seed=0)
    with pytest.raises(AttributeError):
        split.task = "regression"


def test_raw_diabetes_has_raw_scales_and_the_usual_split():
    x, y, names = raw_diabetes(seed=0)
    split = load_dataset("diabetes", seed=0, standardize=False)
    assert x.shape == split.x_train.shape and names[0] == "age" and names[2] == "bmi"
    assert 18 <= x[:, 0].min() and x[:, 0].max() <= 80  # age in years
    assert set(x[:, 1].unique().tolist()) == {1.0, 2.0}  # sex coded 1/2
    torch.testing.assert_close(y.float(), split.y_train)  # same rows, same order
