"""The generative-vs-discriminative experiment: its judge on synthetic metrics, and its quick
mode end to end."""

import pytest

from mllab.experiments.classification.generative_vs_discriminative import (
    GenerativeSettings,
    judge_generative,
)


def _dataset(small_gap):
    # test_accuracy[model][size][repeat], two sizes, three repeats
    return {"sizes": [10, 320], "test_accuracy": {
        "separate": [[0.80, 0.82, 0.81], [0.93, 0.94, 0.93]],
        "shared": [[0.85, 0.86, 0.87], [0.95, 0.96, 0.95]],
        "diagonal": [[0.80 + small_gap, 0.81 + small_gap, 0.79 + small_gap],
                     [0.94, 0.93, 0.94]],
        "discriminative": [[0.80, 0.81, 0.79], [0.96, 0.95, 0.96]]}}


@pytest.mark.parametrize(("small_gap", "verdict"), [
    (0.05, "reproduced"), (-0.2, "not reproduced"), (0.0, "inconclusive")])
def test_judge(small_gap, verdict):
    m = {"linear_gap": 1e-16, "breast_cancer": _dataset(0.05), "wine": _dataset(small_gap)}
    evidence = judge_generative(m, GenerativeSettings())
    assert len(evidence.checks) == 6 and evidence.verdict() == verdict


def test_quick_mode_writes_a_valid_run(quick_run):
    assert len(quick_run("generative-vs-discriminative")["checks"]) == 6
