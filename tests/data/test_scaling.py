"""Tests of ``mllab.data.Standardizer``: parity with scikit-learn's ``StandardScaler`` in
float64, population standard deviation, constant features, round trip, misuse."""

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from mllab.data import Standardizer


def _features(generator: torch.Generator, n: int = 40) -> torch.Tensor:
    """Columns on very different scales and offsets, float64, shape (n, 4)."""
    z = torch.randn(n, 4, generator=generator, dtype=torch.float64)
    return z * torch.tensor([1e-3, 1.0, 50.0, 1e4], dtype=torch.float64) + torch.tensor(
        [0.0, -3.0, 100.0, 7e5], dtype=torch.float64
    )


def test_matches_sklearn_standard_scaler_on_train_and_new_data():
    g = torch.Generator().manual_seed(0)
    x_train, x_new = _features(g), _features(g, n=15) * 1.5
    scaler = Standardizer().fit(x_train)
    sk = StandardScaler().fit(x_train.numpy())
    np.testing.assert_allclose(scaler.mu.numpy(), sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.sigma.numpy(), sk.scale_, rtol=1e-12)
    np.testing.assert_allclose(
        scaler.transform(x_new).numpy(), sk.transform(x_new.numpy()), rtol=0, atol=1e-6
    )


def test_sigma_is_the_population_standard_deviation():
    x = torch.tensor([[1.0], [2.0], [6.0]], dtype=torch.float64)  # mean 3, var (4+1+9)/3
    scaler = Standardizer().fit(x)
    torch.testing.assert_close(scaler.mu, torch.tensor([3.0], dtype=torch.float64))
    torch.testing.assert_close(scaler.sigma, torch.tensor([14.0 / 3.0], dtype=torch.float64).sqrt())


def test_fit_transform_gives_zero_mean_unit_std():
    x = _features(torch.Generator().manual_seed(1))
    x_tilde = Standardizer().fit_transform(x)
    torch.testing.assert_close(
        x_tilde.mean(0), torch.zeros(4, dtype=torch.float64), rtol=0, atol=1e-12
    )
    torch.testing.assert_close(x_tilde.std(0, correction=0), torch.ones(4, dtype=torch.float64))


@pytest.mark.parametrize("constant", [0.0, 0.1, -1234.5])
def test_constant_feature_maps_to_zero_without_nan(constant):
    x = torch.randn(20, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    x[:, 1] = constant
    scaler = Standardizer().fit(x)
    x_tilde = scaler.transform(x)
    assert not torch.isnan(x_tilde).any()
    assert scaler.sigma[1] == 1.0
    torch.testing.assert_close(
        x_tilde[:, 1], torch.zeros(20, dtype=torch.float64), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        x_tilde.numpy(), StandardScaler().fit_transform(x.numpy()), rtol=0, atol=1e-9
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_inverse_transform_round_trip(dtype):
    x = _features(torch.Generator().manual_seed(3)).to(dtype)
    scaler = Standardizer().fit(x[:30])
    back = scaler.inverse_transform(scaler.transform(x))
    assert back.dtype == dtype
    torch.testing.assert_close(back, x)


def test_statistics_follow_the_input_dtype():
    x64 = _features(torch.Generator().manual_seed(4))
    scaler = Standardizer().fit(x64)
    assert scaler.transform(x64.float()).dtype == torch.float32


def test_transform_before_fit_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().transform(torch.zeros(2, 3))


def test_feature_count_mismatch_raises():
    scaler = Standardizer().fit(torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError, match="3"):
        scaler.transform(torch.zeros(2, 4))


@pytest.mark.parametrize("bad", [torch.zeros(5), torch.zeros(0, 3), torch.zeros(4, 2).long()])
def test_fit_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        Standardizer().fit(bad)
