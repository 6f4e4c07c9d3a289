"""Pure helpers of the critical-points experiment: the lecture's saddle by hand, the
gradient-norm search against closed forms, rank correlation against scipy, the judge."""

import math

import pytest
import torch

from mllab.analysis import gradient_and_hessian
from mllab.experiments.critical_points import (
    ChainNetwork,
    CriticalPointSettings,
    average_ranks,
    judge_critical_points,
    minimize_gradient_norm,
    pretraining_steps,
    spearman,
)
from mllab.losses import mse


def test_chain_network_at_zero_is_the_lectures_saddle():
    # L = (1 - w1 w2)²: g = 0 and H = [[0, -2], [-2, 0]] at w1 = w2 = 0 (lecture, by hand)
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    g, H = gradient_and_hessian(ChainNetwork(0.0, 0.0), mse, x, y)
    assert torch.equal(g, torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(H, torch.tensor([[0.0, -2.0], [-2.0, 0.0]], dtype=torch.float64))
    # away from it: L(0.5, 2) = 0, g = 0; H = 2 [w2, w1]ᵀ[w2, w1] there
    g, H = gradient_and_hessian(ChainNetwork(0.5, 2.0), mse, x, y)
    torch.testing.assert_close(g, torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(H, 2 * torch.tensor([[4.0, 1.0], [1.0, 0.25]],
                                                   dtype=torch.float64))


def test_gradient_norm_search_reaches_the_least_squares_solution():
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(30, 4, generator=gen, dtype=torch.float64)
    b = torch.randn(30, generator=gen, dtype=torch.float64)

    def f(theta):
        return (A @ theta - b).square().mean()

    starts = 3 * torch.randn(5, 4, generator=gen, dtype=torch.float64)
    copy = starts.clone()
    ends, used = minimize_gradient_norm(f, starts, steps=50)
    exact = torch.linalg.lstsq(A, b[:, None]).solution[:, 0]
    torch.testing.assert_close(ends, exact.expand(5, 4), rtol=1e-9, atol=1e-9)
    assert all(1 <= u < 50 for u in used)  # stopped on a tiny gradient, not on the budget
    assert torch.equal(starts, copy)  # the starts are not modified in place


def test_gradient_norm_search_stops_at_saddle_points_too():
    # f = θ0² − θ1² + θ0 θ1 has one critical point, a saddle, at 0: gradient descent leaves
    # it, the search on ||g||² goes there
    def f(theta):
        return theta[0] ** 2 - theta[1] ** 2 + theta[0] * theta[1]

    starts = torch.tensor([[1.0, -2.0], [0.3, 0.7], [-5.0, 4.0]], dtype=torch.float64)
    ends, _ = minimize_gradient_norm(f, starts, steps=100)
    torch.testing.assert_close(ends, torch.zeros(3, 2, dtype=torch.float64), rtol=0,
                               atol=1e-10)


def test_gradient_norm_search_on_the_chain_network_ends_critical():
    def f(theta):
        return (1 - theta[0] * theta[1]) ** 2

    starts = torch.tensor([[0.05, -0.02], [1.5, 0.2], [-0.4, -0.9]], dtype=torch.float64)
    ends, _ = minimize_gradient_norm(f, starts, steps=200)
    for theta in ends:
        w1, w2 = theta.tolist()
        g = -2 * (1 - w1 * w2) * torch.tensor([w2, w1])
        assert g.norm() < 1e-9
        assert abs(w1 * w2 - 1) < 1e-9 or max(abs(w1), abs(w2)) < 1e-9  # valley or saddle


def test_average_ranks_share_ties_by_hand():
    ranks = average_ranks(torch.tensor([3.0, 1.0, 3.0, 2.0, 3.0]))
    assert ranks.tolist() == [4.0, 1.0, 4.0, 2.0, 4.0]
    assert average_ranks(torch.tensor([0.5, 0.1])).tolist() == [2.0, 1.0]


def test_spearman_matches_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    gen = torch.Generator().manual_seed(1)
    a = torch.randint(0, 5, (40,), generator=gen).double()  # many ties, like minimum ratios
    b = -a + torch.randn(40, generator=gen, dtype=torch.float64)
    rho, p = spearman(a, b, permutations=2000, generator=torch.Generator().manual_seed(2))
    expected = stats.spearmanr(a.numpy(), b.numpy())
    assert rho == pytest.approx(expected.statistic, abs=1e-12)
    assert rho < -0.5 and p == pytest.approx(1 / 2001)  # no relabelling reaches it


def test_spearman_of_unrelated_data_is_not_significant_and_constant_is_nan():
    gen = torch.Generator().manual_seed(3)
    a, b = torch.randn(30, generator=gen), torch.randn(30, generator=gen)
    rho, p = spearman(a, b, permutations=2000, generator=torch.Generator().manual_seed(4))
    assert abs(rho) < 0.4 and p > 0.05
    rho, p = spearman(torch.ones(5), torch.arange(5.0), permutations=100,
                      generator=torch.Generator().manual_seed(0))
    assert math.isnan(rho) and math.isnan(p)


def test_pretraining_steps_are_log_uniform_in_range():
    steps = pretraining_steps(2000, 10, 1000, torch.Generator().manual_seed(0))
    assert min(steps) >= 10 and max(steps) <= 1000
    below_100 = sum(k < 100 for k in steps) / len(steps)
    assert below_100 == pytest.approx(0.5, abs=0.05)  # log-uniform: half below the geometric mean
    assert steps == pretraining_steps(2000, 10, 1000, torch.Generator().manual_seed(0))


def _metrics(share_no_negative=0.0, rho=-0.8, p=0.001, change=0.0, kept=20):
    study = {"kept": kept, "networks": 30, "share_no_negative": share_no_negative,
             "no_negative": round(share_no_negative * kept), "ratio_one": 0,
             "ratio_min": 0.1, "ratio_max": 0.9, "spearman": rho, "p_value": p}
    demo = {"gd_loss_change": change, "lambda_min": -2.0, "escape_before": 1.0,
            "escape_after": 0.25}
    return {"study": study, "saddle_demo": demo}


@pytest.mark.parametrize(("changes", "verdict"), [
    ({}, "reproduced"),
    ({"share_no_negative": 0.2}, "not reproduced"),
    ({"rho": 0.3}, "not reproduced"),
    ({"p": 0.2}, "not reproduced"),
    ({"change": -1e-3}, "not reproduced"),
    ({"kept": 3}, "inconclusive"),
])
def test_judge_follows_the_numbers(changes, verdict):
    assert judge_critical_points(_metrics(**changes), CriticalPointSettings())[0] == verdict
