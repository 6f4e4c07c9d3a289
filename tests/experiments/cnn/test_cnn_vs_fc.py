"""The cnn-vs-fc experiment: its comparison rule, and its quick mode end to end."""


import pytest

from mllab.experiments.cnn.cnn_vs_fc import compare


def test_compare_separates_signal_from_noise():
    assert compare([0.9, 0.91, 0.92], [0.8, 0.81, 0.82])[0] == "held"
    assert compare([0.8, 0.81, 0.82], [0.9, 0.91, 0.92])[0] == "contradicted"
    assert compare([0.90, 0.95, 0.85], [0.91, 0.86, 0.93])[0] == "within noise"
    outcome, diff, se = compare([0.9], [0.8])
    assert outcome == "held" and diff == pytest.approx(0.1) and se == 0.0


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("cnn-vs-fc")
