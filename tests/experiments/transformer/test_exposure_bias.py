"""The exposure-bias experiment: its SYNTHETIC task and measures by hand, its judge on hand-made
metrics for every outcome, and its quick mode end to end."""

import math

import pytest
import torch

from mllab.experiments.transformer.exposure_bias import (
    ExposureSettings,
    after_first_error,
    half_gap,
    judge_exposure,
    lcg_sequences,
    position_errors,
    schedule_k,
)
from mllab.seq2seq import InverseSigmoidDecay


def test_lcg_sequences_follow_the_recurrence():
    src, y = lcg_sequences(50, 7, 6, torch.Generator().manual_seed(0))
    assert src.shape == (50, 3) and y.shape == (50, 6)
    assert torch.equal(y[:, 0], src[:, 0])
    for t in range(1, 6):
        assert torch.equal(y[:, t], (src[:, 1] * y[:, t - 1] + src[:, 2]) % 7)
    assert int(y.min()) >= 0 and int(y.max()) <= 6
    again, _ = lcg_sequences(50, 7, 6, torch.Generator().manual_seed(0))
    assert torch.equal(src, again)  # seeded


def test_position_errors_and_errors_after_the_first_error_by_hand():
    gold = torch.tensor([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]])
    pred = torch.tensor([[1, 0, 3, 0],   # first error at 1; after it: 3 right, 0 wrong -> 1/2
                         [1, 2, 3, 4],   # no error
                         [1, 2, 0, 0]])  # first error at 2; after it: 1 wrong of 1
    assert position_errors(pred, gold) == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3])
    assert after_first_error(pred, gold) == pytest.approx(2 / 3)  # (1 + 1) / (2 + 1)
    assert after_first_error(gold, gold) == 0.0
    assert after_first_error(torch.tensor([[1, 2, 3, 0]]), gold[:1]) == 0.0  # error at the end


def test_half_gap_by_hand():
    free, gold = [0.1, 0.2, 0.5, 0.6], [0.1, 0.1, 0.1, 0.2]  # gaps 0, .1, .4, .4
    assert half_gap(free, gold) == pytest.approx(0.4 - 0.05)
    assert half_gap([0.3] * 5, [0.1] * 5) == pytest.approx(0.0)  # a constant gap does not grow


@pytest.mark.parametrize("steps", [4, 60, 600, 10_000])
def test_schedule_k_puts_epsilon_one_half_at_half_the_steps(steps):
    k = schedule_k(steps)
    assert k >= 1 and k * math.log(k) == pytest.approx(steps / 2, rel=1e-9)
    assert InverseSigmoidDecay(k)(steps // 2) == pytest.approx(0.5, abs=1e-9)


def _run(free_shift, after_first, gold=0.1):
    positions = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    return {"free": [p + free_shift for p in positions], "gold": [gold] * 6,
            "after_first": after_first, "sequence_accuracy": 0.5}


def _metrics(ss_free, ss_after, tf_gold=0.1):
    tf = [_run(0.0, 0.8, tf_gold), _run(0.02, 0.82, tf_gold), _run(-0.01, 0.79, tf_gold)]
    ss = [_run(d, a) for d, a in zip(ss_free, ss_after, strict=True)]
    return {"runs": {"teacher-forcing": tf, "scheduled-sampling": ss}, "k": 69.5,
            "epsilon": [0.986, 0.013], "identities": {"eps1_max_abs": 1e-7,
                                                      "eps0_is_greedy": True}}


@pytest.mark.parametrize(("ss_free", "ss_after", "outcomes", "verdict"), [
    ((-0.2, -0.18, -0.21), (0.5, 0.45, 0.52), ["held", "held", "held"], "reproduced"),
    ((0.1, 0.12, 0.09), (0.9, 0.95, 0.92), ["held", "contradicted", "contradicted"],
     "not reproduced"),
    ((-0.2, 0.1, 0.0), (0.5, 0.95, 0.8), ["held", "within noise", "within noise"],
     "inconclusive"),
])
def test_judge(ss_free, ss_after, outcomes, verdict):
    evidence = judge_exposure(_metrics(ss_free, ss_after), ExposureSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert "1.00e-07" in evidence.demonstrations[0].shown  # shown, never deciding


def test_judge_the_compounding_check_is_contradicted_when_the_gap_shrinks():
    m = _metrics((-0.2, -0.18, -0.21), (0.5, 0.45, 0.52))
    for r in m["runs"]["teacher-forcing"]:
        r["free"] = r["free"][::-1]  # errors fall along the output
    evidence = judge_exposure(m, ExposureSettings())
    assert evidence.checks[0].outcome() == "contradicted"
    assert evidence.verdict() == "not reproduced"


def test_judge_is_inconclusive_when_a_model_did_not_learn_the_rule():
    evidence = judge_exposure(_metrics((-0.2, -0.18, -0.21), (0.5, 0.45, 0.52), tf_gold=0.7),
                              ExposureSettings())
    assert [c.outcome() for c in evidence.checks] == ["held", "held", "held"]
    assert not evidence.preconditions[0].holds
    assert evidence.verdict() == "inconclusive"


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("exposure-bias")
    runs = result["metrics"]["runs"]
    assert len(runs["teacher-forcing"]) == len(runs["scheduled-sampling"]) == 2
    assert len(runs["teacher-forcing"][0]["free"]) == ExposureSettings.quick().length
    assert result["demonstrations"][0]["shown"].endswith("True")
