"""The evidence model: the Student-t interval against scipy, each outcome by construction, and
the verdict from the outcomes (demonstrations never decide)."""

import math

import pytest
from scipy import stats

from mllab.experiments.evidence import (
    Check,
    Demonstration,
    Evidence,
    Precondition,
    paired,
    student_t_cdf,
    student_t_quantile,
    t_interval,
)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 29, 200])
@pytest.mark.parametrize("p", [0.001, 0.05, 0.5, 0.9, 0.975, 0.995])
def test_student_t_matches_scipy(df, p):
    assert student_t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-10, abs=1e-12)
    t = stats.t.ppf(p, df)
    assert student_t_cdf(t, df) == pytest.approx(p, rel=1e-10)


def test_t_interval_matches_scipy():
    values = [0.012, -0.004, 0.02, 0.007, 0.015]
    mean, lo, hi = t_interval(values)
    ref = stats.t.interval(0.95, len(values) - 1, loc=stats.tmean(values),
                           scale=stats.sem(values))
    assert mean == pytest.approx(sum(values) / 5)
    assert (lo, hi) == pytest.approx(ref, rel=1e-12)
    assert t_interval([3.0])[1:] == (-math.inf, math.inf)
    assert t_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)


def test_paired_differences_are_per_repeat_and_refuse_unequal_repeats():
    assert paired([3.0, 1.0, 2.5], [1.0, 1.5, 2.5]) == [2.0, -0.5, 0.0]
    with pytest.raises(ValueError):
        paired([1.0, 2.0], [1.0])


def _check(values, margin=0.0, threshold=0.0, below=False):
    return Check("claim", "statistic", values, margin=margin, reason="r", threshold=threshold,
                 below=below)


@pytest.mark.parametrize(("values", "margin", "threshold", "below", "outcome"), [
    ([1.0, 1.1, 0.9], 0.0, 0.0, False, "held"),
    ([-1.0, -1.1, -0.9], 0.0, 0.0, False, "contradicted"),
    ([1.0, -1.0, 0.5], 0.0, 0.0, False, "within noise"),
    ([0.10, 0.11, 0.09], 0.2, 0.0, False, "within noise"),  # inside the margin's band
    ([0.30, 0.31, 0.29], 0.2, 0.0, False, "held"),
    ([-0.30, -0.31, -0.29], 0.2, 0.0, False, "contradicted"),
    ([1e-6, 2e-6, 1e-6], 0.0, 1e-3, True, "held"),  # below a tolerance
    ([5e-3, 6e-3, 7e-3], 0.0, 1e-3, True, "contradicted"),
    ([0.5], 0.0, 0.0, False, "within noise"),  # one repeat: no interval
])
def test_outcomes(values, margin, threshold, below, outcome):
    check = _check(values, margin, threshold, below)
    assert check.outcome() == outcome
    assert check.to_dict()["outcome"] == outcome and outcome in check.sentence()


def test_the_verdict_follows_the_checks_and_preconditions_only():
    held, against, noise = _check([1, 1.1, 0.9]), _check([-1, -1.1, -0.9]), _check([1, -1, 0])
    demo = Demonstration("an identity", "shown to 1e-16")
    assert Evidence([held, held], [demo]).verdict() == "reproduced"
    assert Evidence([held, against, noise]).verdict() == "not reproduced"
    assert Evidence([held, noise]).verdict() == "inconclusive"
    fails = Precondition("trained to convergence", "accuracy 0.8", holds=False)
    assert Evidence([held], preconditions=[fails]).verdict() == "inconclusive"
    assert "precondition does not hold" in Evidence([held], preconditions=[fails]).criterion()
    assert Evidence([held], preconditions=[Precondition("p", "s", True)]).verdict() == \
        "reproduced"
    assert Evidence([]).verdict() == "inconclusive"
    d = Evidence([held], [demo], notes=["n"]).to_dict()
    assert d["demonstrations"] == [{"statement": "an identity", "shown": "shown to 1e-16"}]
    assert d["checks"][0]["values"] == [1.0, 1.1, 0.9] and d["notes"] == ["n"]
    with pytest.raises(ValueError, match="margin"):
        _check([1.0], margin=-1)
