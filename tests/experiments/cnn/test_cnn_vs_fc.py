"""The cnn-vs-fc experiment: its comparison rule, and its quick mode end to end."""


import pytest

from mllab.experiments.cnn.cnn_vs_fc import CNNSettings, judge_cnn


def _metrics(shifted):
    runs = {"fully-connected": [0.96, 0.955, 0.965], "cnn": [0.975, 0.97, 0.98],
            "cnn-shifted-data": list(shifted), "cnn-no-pooling": [0.96, 0.97, 0.965]}
    return {"test_accuracy_runs": runs,
            "parameters": {"cnn": 13706, "fully-connected": 17610, "cnn-no-pooling": 11498}}


@pytest.mark.parametrize(("shifted", "outcome", "verdict"), [
    ((0.985, 0.98, 0.99), "held", "reproduced"),
    ((0.95, 0.945, 0.955), "contradicted", "not reproduced"),
    ((0.99, 0.96, 0.975), "within noise", "inconclusive"),
])
def test_judge(shifted, outcome, verdict):
    evidence = judge_cnn(_metrics(shifted), CNNSettings())
    assert [c.outcome() for c in evidence.checks] == ["held", outcome]
    assert evidence.verdict() == verdict
    assert "13706" in evidence.demonstrations[0].shown  # the parameter count never decides


def test_the_shifted_run_is_standardized_after_shifting_and_makes_no_more_updates():
    from mllab.data import load_dataset
    from mllab.experiments.cnn.cnn_vs_fc import _data

    raw = load_dataset("digits", seed=0, standardize=False)
    (x, _), _, _, epochs, patience = _data(raw, CNNSettings(), shifted=True)
    (x0, _), _, _, epochs0, patience0 = _data(raw, CNNSettings(), shifted=False)
    assert len(x) == 5 * len(x0) and epochs * 5 >= epochs0 > (epochs - 1) * 5
    assert patience == 2 and patience0 == 8
    assert x.mean(0).abs().max() < 1e-5  # standardized after the shifts


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("cnn-vs-fc")
