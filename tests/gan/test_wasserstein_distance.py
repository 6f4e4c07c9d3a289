"""W1 in one dimension: against scipy.stats.wasserstein_distance (unequal sizes, weights), the
point masses of the WGAN paper's Example 1, and a shifted copy."""

import math

import pytest
import torch
from scipy.stats import wasserstein_distance

from mllab.gan.js_divergence import LOG_2, histogram, js_divergence
from mllab.gan.wasserstein_distance import wasserstein_1d

f64 = torch.float64


def test_against_scipy_with_unequal_sizes_and_weights():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(37, generator=g, dtype=f64), torch.randn(23, generator=g, dtype=f64) + 1
    assert math.isclose(wasserstein_1d(a, b).item(), wasserstein_distance(a, b), rel_tol=1e-10)
    wa, wb = torch.rand(37, generator=g, dtype=f64), torch.rand(23, generator=g, dtype=f64)
    assert math.isclose(wasserstein_1d(a, b, wa, wb).item(),
                        wasserstein_distance(a, b, wa, wb), rel_tol=1e-10)


def test_point_masses_are_theta_apart_where_js_is_log_2():
    edges = [torch.linspace(-0.5, 10.5, 12, dtype=f64)]
    zero = torch.zeros(10, dtype=f64)
    for theta in (1.0, 2.0, 5.0, 10.0):
        assert wasserstein_1d(zero, zero + theta).item() == pytest.approx(theta, rel=1e-12)
        js = js_divergence(histogram(zero[:, None], edges),
                           histogram(zero[:, None] + theta, edges))
        assert js.item() == pytest.approx(LOG_2, abs=1e-12)


def test_a_shifted_copy_is_the_shift_apart():
    a = torch.randn(50, generator=torch.Generator().manual_seed(1), dtype=f64)
    assert torch.isclose(wasserstein_1d(a, a - 0.7), torch.tensor(0.7, dtype=f64))
    assert wasserstein_1d(a, a).item() == 0.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="non-empty 1-D"):
        wasserstein_1d(torch.zeros(2, 2), torch.zeros(3))
