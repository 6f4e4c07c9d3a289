"""Tests for mllab.analysis.lanczos: Ritz extremes against the exact spectrum."""

from __future__ import annotations

import pytest
import torch

from mllab.analysis import (
    gradient_and_hessian,
    hessian_extremes,
    lanczos_extremes,
    lanczos_tridiagonal,
)


def _random_symmetric(n: int, seed: int) -> torch.Tensor:
    M = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return 0.5 * (M + M.T)


@pytest.mark.parametrize("seed", [0, 1])
def test_extremes_of_a_random_symmetric_matrix(seed: int) -> None:
    """30 steps on a 50×50 matrix (fewer than its size) already give both ends to 1e-6."""
    A = _random_symmetric(50, seed)
    lam = torch.linalg.eigvalsh(A)
    lo, hi = lanczos_extremes(lambda v: A @ v, 50, iterations=30,
                              generator=torch.Generator().manual_seed(100 + seed))
    assert lo == pytest.approx(float(lam[0]), abs=1e-6)
    assert hi == pytest.approx(float(lam[-1]), abs=1e-6)


def test_few_steps_give_ritz_values_inside_the_spectrum() -> None:
    A = _random_symmetric(50, 2)
    lam = torch.linalg.eigvalsh(A)
    lo, hi = lanczos_extremes(lambda v: A @ v, 50, iterations=5,
                              generator=torch.Generator().manual_seed(0))
    assert float(lam[0]) - 1e-12 <= lo < hi <= float(lam[-1]) + 1e-12
    assert hi - lo < float(lam[-1] - lam[0])  # 5 steps are not converged on this spectrum


def test_tridiagonal_is_Q_transpose_A_Q_and_stops_on_invariant_space() -> None:
    """An operator with two distinct eigenvalues: the Krylov space has dimension 2."""
    A = torch.diag(torch.tensor([1.0] * 25 + [5.0] * 25, dtype=torch.float64))
    T = lanczos_tridiagonal(lambda v: A @ v, 50, iterations=30,
                            generator=torch.Generator().manual_seed(0))
    assert T.shape == (2, 2)
    torch.testing.assert_close(T, T.T, rtol=0, atol=0)
    lo, hi = lanczos_extremes(lambda v: A @ v, 50, iterations=30,
                              generator=torch.Generator().manual_seed(0))
    assert (lo, hi) == (pytest.approx(1.0, abs=1e-12), pytest.approx(5.0, abs=1e-12))


def test_same_generator_same_estimate() -> None:
    A = _random_symmetric(40, 3)
    runs = [lanczos_extremes(lambda v: A @ v, 40, iterations=6,
                             generator=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert runs[0] == runs[1]


def test_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="iterations"):
        lanczos_extremes(lambda v: v, 3, iterations=0, generator=torch.Generator())


def test_hessian_extremes_of_a_model(mlp_problem) -> None:
    """A 2→8→1 MLP (P = 33) with 30 Hessian-vector products, H never formed."""
    model, loss_fn, x, y = mlp_problem(hidden=8, n=32)
    _, H = gradient_and_hessian(model, loss_fn, x, y)
    assert H.shape == (33, 33)
    lam = torch.linalg.eigvalsh(H)
    assert float(lam[0]) < 0 < float(lam[-1])  # not a minimum: both ends matter
    lo, hi = hessian_extremes(model, loss_fn, x, y, iterations=30,
                              generator=torch.Generator().manual_seed(0))
    assert lo == pytest.approx(float(lam[0]), abs=1e-6)
    assert hi == pytest.approx(float(lam[-1]), abs=1e-6)
