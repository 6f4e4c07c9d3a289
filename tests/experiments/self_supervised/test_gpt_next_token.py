"""The gpt-next-token experiment: its judge on hand-made metrics for every outcome, the
continuations stop at EOS and drop padding, and its quick mode end to end."""

import math

import pytest
import torch

from mllab.experiments.base import SettingsError
from mllab.experiments.self_supervised.gpt_next_token import (
    NextTokenSettings,
    _continuations,
    judge_next_token,
)


def _metrics(gpt, t1, greedy=(0.30, 0.32, 0.31), beam=(0.28, 0.30, 0.29)):
    return {"runs": {"gpt": list(gpt), "ngram1": [5.0] * 3, "ngram2": [4.2, 4.25, 4.22],
                     "ngram3": [4.0, 4.02, 3.99]},
            "distinct2": {"greedy": list(greedy), "beam": list(beam), "T=0.7": [0.5] * 3,
                          "T=1": list(t1), "T=1.3": [0.8] * 3},
            "tokens": [100000] * 3, "final_loss": [3.5] * 3}


@pytest.mark.parametrize(("gpt", "t1", "outcomes", "verdict"), [
    ((3.7, 3.72, 3.69), (0.7, 0.72, 0.71), ["held"] * 3, "reproduced"),
    ((4.3, 4.35, 4.31), (0.7, 0.72, 0.71), ["contradicted", "held", "held"], "not reproduced"),
    ((3.99, 4.01, 3.995), (0.7, 0.72, 0.71), ["within noise", "held", "held"], "inconclusive"),
    ((3.7, 3.72, 3.69), (0.31, 0.30, 0.33), ["held", "within noise", "within noise"],
     "inconclusive"),
    ((3.7, 3.72, 3.69), (0.1, 0.12, 0.11), ["held", "contradicted", "contradicted"],
     "not reproduced"),
])
def test_judge(gpt, t1, outcomes, verdict):
    evidence = judge_next_token(_metrics(gpt, t1), NextTokenSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    # the first check compares with the best n-gram model of each repeat (the trigram here)
    assert evidence.checks[0].values[0] == pytest.approx(4.0 - gpt[0])
    assert f"{math.exp(gpt[0]):.1f}" in evidence.notes[0]


def test_continuations_stop_at_eos_and_drop_padding():
    tokens = torch.tensor([[5, 6, 2, 0, 0], [7, 7, 7, 7, 7], [2, 0, 0, 0, 0]])
    assert _continuations(tokens) == [[5, 6], [7] * 5, []]


def test_settings_need_temperature_one_and_room_for_the_prompt():
    with pytest.raises(SettingsError, match="temperatures"):
        NextTokenSettings(temperatures=(0.7, 1.3))
    with pytest.raises(SettingsError, match="new_tokens"):
        NextTokenSettings(max_len=20, new_tokens=18)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("gpt-next-token")
    assert set(result["metrics"]["distinct2"]) == {"greedy", "beam", "T=0.7", "T=1", "T=1.3"}
