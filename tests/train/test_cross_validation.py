"""N-fold cross-validation: folds by construction, the CV error of least squares by hand."""


import pytest
import torch

from mllab.train import cross_validation_mse, kfold_indices


@pytest.mark.parametrize("n,k", [(23, 5), (10, 10), (7, 2), (100, 3)])
def test_kfold_indices_cover_every_index_once_with_near_equal_folds(n, k):
    folds = kfold_indices(n, k, torch.Generator().manual_seed(0))
    assert len(folds) == k
    assert sorted(torch.cat(folds).tolist()) == list(range(n))
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == n


def test_kfold_indices_are_seeded_and_shuffled():
    a = kfold_indices(50, 5, torch.Generator().manual_seed(1))
    b = kfold_indices(50, 5, torch.Generator().manual_seed(1))
    c = kfold_indices(50, 5, torch.Generator().manual_seed(2))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))
    assert torch.cat(a).tolist() != list(range(50))


@pytest.mark.parametrize("k", [1, 11])
def test_kfold_indices_reject_bad_k(k):
    with pytest.raises(ValueError, match="k must be"):
        kfold_indices(10, k, torch.Generator().manual_seed(0))


def test_cross_validation_mse_leave_one_out_by_hand():
    # A zero feature leaves the intercept: each fold predicts the mean of the other folds.
    a = torch.zeros(4, 1, dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    folds = [torch.tensor([i]) for i in range(4)]
    # errors: 0 - 2, 1 - 5/3, 2 - 4/3, 3 - 1 -> squares 4, 4/9, 4/9, 4
    assert cross_validation_mse(a, y, folds) == pytest.approx(20 / 9)
    exact = torch.arange(6, dtype=torch.float64).unsqueeze(1)
    assert cross_validation_mse(exact, 3 * exact[:, 0] + 1,
                                kfold_indices(6, 3, torch.Generator().manual_seed(0))) \
        == pytest.approx(0.0, abs=1e-20)
