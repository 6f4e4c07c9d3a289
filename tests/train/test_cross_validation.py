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


def test_cross_validate_equals_scikit_learn_on_the_same_folds():
    """Least squares as the recipe: the same fold MSEs as sklearn's cross_val_score with the
    folds handed over, and the mean as cross_validation_mse."""
    import numpy as np
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_score

    from mllab.analysis.least_squares import least_squares, linear_mse
    from mllab.train import cross_validate

    g = torch.Generator().manual_seed(3)
    x = torch.randn(53, 3, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + torch.randn(53, generator=g,
                                                                              dtype=torch.float64)
    a = torch.cat([x, torch.ones(53, 1, dtype=x.dtype)], 1)

    class LeastSquares:
        def __init__(self, a, y):
            self.theta, _ = least_squares(a, y)

        def loss(self, a, y):
            return linear_mse(self.theta, a, y)

    cv = cross_validate(lambda a_, y_, fold: LeastSquares(a_, y_), a, y, k=4,
                        generator=torch.Generator().manual_seed(0))
    folds = kfold_indices(53, 4, torch.Generator().manual_seed(0))
    splits = [(np.setdiff1d(np.arange(53), f.numpy()), f.numpy()) for f in folds]
    reference = -cross_val_score(LinearRegression(), x.numpy(), y.numpy(), cv=splits,
                                 scoring="neg_mean_squared_error")
    np.testing.assert_allclose(cv.values, reference, rtol=1e-10)
    assert cv.sizes == tuple(len(f) for f in folds)
    assert cv.mean == pytest.approx(cross_validation_mse(a, y, folds), rel=1e-12)
    assert cv.std == pytest.approx(float(np.std(reference, ddof=1)), rel=1e-10)


def test_cross_validate_refits_the_preprocessing_inside_each_fold():
    from mllab.train import EstimatorConfig, TabularEstimator, cross_validate

    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 4, generator=g) + 5.0
    y = x[:, 0] + 0.1 * torch.randn(40, generator=g)
    fitted, rows_seen = [], []

    def recipe(x_train, y_train, fold):
        est = TabularEstimator(EstimatorConfig(select=2, epochs=1))
        est.fit(x_train, y_train)
        fitted.append(est)
        rows_seen.append(x_train)
        return est

    cross_validate(recipe, x, y, k=4, generator=torch.Generator().manual_seed(1))
    assert len(fitted) == 4 and all(len(r) == 30 for r in rows_seen)
    for est, rows in zip(fitted, rows_seen, strict=True):  # each fold's own statistics
        torch.testing.assert_close(est.scaler.mu, rows[:, est.selector.indices].mean(0))
    assert len({tuple(e.scaler.mu.tolist()) for e in fitted}) == 4
