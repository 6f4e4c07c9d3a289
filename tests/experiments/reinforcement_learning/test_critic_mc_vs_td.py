"""The critic-mc-vs-td experiment: the random walk's true values and episodes, the lecture's
example, its judge on hand-made metrics for every outcome, the settings it refuses, and its
quick mode end to end."""

import pytest
import torch

from mllab.experiments.reinforcement_learning.critic_mc_vs_td import (
    CriticSettings,
    judge_critics,
    lecture_example,
    random_walk,
    true_values,
)


def test_true_values_are_the_textbooks():
    assert torch.allclose(true_values(), torch.arange(1, 6, dtype=torch.float64) / 6,
                          rtol=0, atol=1e-14)


def test_random_walk_episodes_start_at_c_and_move_one_step():
    states, rewards = random_walk(torch.Generator().manual_seed(0))
    assert states[0] == 2 and (states.diff().abs() == 1).all()
    assert rewards[:-1].eq(0).all() and rewards[-1] == float(states[-1] == 4)


def test_the_lectures_example_disagrees_on_s_a():
    example = lecture_example()
    assert example["mc"] == [0.0, 0.75]
    assert example["td"] == pytest.approx([0.75, 0.75], abs=1e-9)


def _metrics(td_over_mc, mc_gain, td_gain):
    runs = [{"5": {"mc": {"variance": 1.0, "error": 1.0}, "td": {"variance": v, "error": 1.0}},
             "100": {"mc": {"variance": 0.1, "error": a}, "td": {"variance": 0.1, "error": b}}}
            for v, a, b in zip(td_over_mc, mc_gain, td_gain, strict=True)]
    return {"runs": runs, "lecture_example": lecture_example()}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.5, 0.4, 0.45], [0.1, 0.12, 0.09], [0.1, 0.08, 0.11]), ["held"] * 3,
     "reproduced"),
    (_metrics([2.0, 2.5, 2.2], [5.0, 6.0, 5.5], [5.0, 6.0, 5.5]), ["contradicted"] * 3,
     "not reproduced"),
    (_metrics([0.5, 2.0, 1.0], [0.5, 2.0, 1.0], [2.0, 0.5, 1.0]), ["within noise"] * 3,
     "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_critics(metrics, CriticSettings(episode_counts=(5, 100)))
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="episode_counts must be two or more increasing"):
        CriticSettings(episode_counts=(20, 5))
    with pytest.raises(ValueError, match="datasets must be >= 2"):
        CriticSettings(datasets=1)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("critic-mc-vs-td")
    assert len(result["checks"]) == 3 and len(result["demonstrations"]) == 1
    assert result["metrics"]["true_values"] == pytest.approx([i / 6 for i in range(1, 6)])
