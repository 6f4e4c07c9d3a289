"""The regression-sigmoids experiment: its judge on synthetic metrics, and its quick mode."""

from mllab.experiments.regression.regression_sigmoids import SigmoidSettings, judge_sigmoids

S = SigmoidSettings()
NAMES = ["linear"] + [f"{f}-{c}" for c in S.counts for f in ("sigmoid", "relu")]


def _metrics(last_pair=(0.010, 0.011, 0.012)):
    base = {"linear": [0.29, 0.28, 0.30], "sigmoid-3": [0.05, 0.04, 0.06],
            "relu-3": [0.14, 0.13, 0.15], "sigmoid-10": [0.02, 0.021, 0.019],
            "relu-10": [0.03, 0.028, 0.031], "relu-100": [0.009, 0.0088, 0.0091]}
    return {**base, "sigmoid-100": list(last_pair)}


def test_judge_holds_when_every_step_lowers_the_loss():
    evidence = judge_sigmoids(_metrics((0.010, 0.011, 0.012)), S)
    assert [c.outcome() for c in evidence.checks] == ["held"] * 6
    assert evidence.verdict() == "reproduced"


def test_judge_is_contradicted_when_more_sigmoids_fit_worse():
    evidence = judge_sigmoids(_metrics((0.030, 0.031, 0.029)), S)
    assert evidence.checks[2].outcome() == "contradicted"
    assert evidence.verdict() == "not reproduced"


def test_judge_is_within_noise_when_the_difference_straddles_zero():
    evidence = judge_sigmoids(_metrics((0.025, 0.015, 0.0195)), S)
    assert evidence.checks[2].outcome() == "within noise"
    assert evidence.verdict() == "inconclusive"


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("regression-sigmoids")["checks"]) == 6
