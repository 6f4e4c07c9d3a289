"""Linear regression in closed form, against scikit-learn, autograd and hand computations."""


import pytest
import torch

from mllab.analysis import design_matrix, least_squares, linear_mse, mse_hessian
from mllab.data import power_features
from mllab.losses import mse


def test_least_squares_and_hessian_closed_forms():
    x = torch.tensor([[1.0], [2.0], [3.0]])
    theta, loss = least_squares(x, 2 * x[:, 0] + 1)
    torch.testing.assert_close(theta, torch.tensor([2.0, 1.0], dtype=torch.float64))
    assert loss == pytest.approx(0.0, abs=1e-20)
    # H = (2/N) AᵀA with A = [x 1]: [[28/3, 4], [4, 2]]
    h = torch.tensor([[28 / 3, 4.0], [4.0, 2.0]], dtype=torch.float64)
    torch.testing.assert_close(mse_hessian(x), h)


def test_mse_hessian_matches_autograd():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(15, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(15, generator=gen, dtype=torch.float64)

    def loss(theta):
        return mse(x @ theta[:2] + theta[2], y)

    reference = torch.autograd.functional.hessian(loss, torch.zeros(3, dtype=torch.float64))
    torch.testing.assert_close(mse_hessian(x), reference)


def test_least_squares_recovers_a_polynomial_exactly():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64).unsqueeze(1)
    y = 1 + 2 * x[:, 0] - x[:, 0] ** 2
    theta, loss = least_squares(power_features(x, 2), y)
    torch.testing.assert_close(theta, torch.tensor([2.0, -1.0, 1.0], dtype=torch.float64))
    assert linear_mse(theta, power_features(x, 2), y) == pytest.approx(0.0, abs=1e-20)
    assert loss == pytest.approx(0.0, abs=1e-20)


def test_least_squares_matches_scikit_learn():
    from sklearn.linear_model import LinearRegression

    gen = torch.Generator().manual_seed(5)
    x = torch.randn(50, 4, generator=gen, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64) + 0.3 \
        + 0.1 * torch.randn(50, generator=gen, dtype=torch.float64)
    theta, loss = least_squares(x, y)
    reference = LinearRegression().fit(x.numpy(), y.numpy())
    torch.testing.assert_close(theta[:-1], torch.from_numpy(reference.coef_), rtol=1e-10,
                               atol=1e-12)
    assert theta[-1].item() == pytest.approx(reference.intercept_, abs=1e-12)
    assert loss == pytest.approx(linear_mse(theta, x, y), rel=1e-12)
    assert design_matrix(x).shape == (50, 5) and torch.equal(design_matrix(x)[:, -1],
                                                              torch.ones(50, dtype=x.dtype))


def test_least_squares_is_the_minimum_norm_solution_when_rank_deficient():
    x = torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], dtype=torch.float64)  # x₂ = 2 x₁
    theta, loss = least_squares(x, 3 * x[:, 0] + 1)
    torch.testing.assert_close(theta, torch.linalg.pinv(design_matrix(x)) @ (3 * x[:, 0] + 1))
    assert loss == pytest.approx(0.0, abs=1e-20)
