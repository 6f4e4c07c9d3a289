"""The catastrophic-forgetting experiment: the permuted tasks, a strong EWC penalty keeping
task 1 where fine-tuning loses it (one tiny sequence), its judge on hand-made metrics for every
outcome, and its quick mode end to end."""

import pytest
import torch

from mllab.data import load_dataset
from mllab.experiments.lifelong.catastrophic_forgetting import (
    ForgettingSettings,
    judge_forgetting,
    permuted_tasks,
    sequence,
)
from mllab.nn import MLP, MLPConfig


def test_tasks_permute_the_pixels_and_task_1_is_the_digits():
    x = torch.arange(2 * 64.0).view(2, 64)
    pi = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    first, second = permuted_tasks(x, [torch.arange(64), pi])
    assert torch.equal(first, x) and torch.equal(second, x[:, pi])
    assert torch.equal(second.sort(dim=1).values, x)


def test_ewc_keeps_more_of_task_1_than_fine_tuning():
    s = ForgettingSettings(tasks=2, width=32, steps=300)
    split = load_dataset("digits", seed=0)
    torch.manual_seed(0)
    init = MLP(MLPConfig(in_features=64, out_features=10, depth=2, width=32)).state_dict()
    pi = [torch.arange(64), torch.randperm(64, generator=torch.Generator().manual_seed(1))]

    def task_1_after(method, strength):
        batches = [torch.Generator().manual_seed(k) for k in range(2)]
        run = sequence(method, strength, init, split, pi, s, batches)
        return run["test"][0][0], run["test"][-1][0]

    tuned_before, tuned_after = task_1_after("fine-tuning", 0.0)
    _, ewc_after = task_1_after("ewc", 1000.0)
    assert tuned_before > 0.85 and tuned_after < tuned_before - 0.1  # it forgets
    assert ewc_after > tuned_after + 0.1


def _metrics(forget, gains):
    r"""Per repeat: fine-tuning's task-1 accuracy drop and the remedies' gains in the mean."""
    runs = []
    for drop, (e, m, s) in zip(forget, gains, strict=True):
        base = [[0.95, 0.1], [0.95 - drop, 0.95]]
        mean = sum(base[-1]) / 2

        def shifted(g, mean=mean):
            return {"test": [[0.95, 0.1], [mean + g - 0.05, mean + g + 0.05]], "strength": 1.0}

        runs.append({"fine-tuning": {"test": base, "strength": 0.0},
                     "ewc": shifted(e), "mas": shifted(m), "si": shifted(s),
                     "multi-task": {"test": [[0.95, 0.95]], "strength": 0.0}})
    return {"runs": runs}


HELD = _metrics([0.5, 0.6, 0.55, 0.5, 0.6], [(0.2, 0.15, 0.1)] * 3 + [(0.21, 0.16, 0.11)] * 2)
CONTRADICTED = _metrics([-0.2, -0.21, -0.2, -0.22, -0.2],
                        [(-0.2, -0.15, -0.1), (-0.21, -0.16, -0.12), (-0.2, -0.15, -0.1),
                         (-0.2, -0.14, -0.1), (-0.22, -0.15, -0.1)])
NOISE = _metrics([0.3, -0.2, 0.4, -0.1, 0.2], [(0.1, -0.1, 0.05), (-0.1, 0.1, -0.05)] * 2
                 + [(0.0, 0.0, 0.0)])


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (HELD, ["held"] * 4, "reproduced"),
    (CONTRADICTED, ["contradicted"] * 4, "not reproduced"),
    (NOISE, ["within noise"] * 4, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_forgetting(metrics, ForgettingSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="tasks must be >= 2"):
        ForgettingSettings(tasks=1)
    with pytest.raises(ValueError, match="strengths must be one or more numbers > 0"):
        ForgettingSettings(strengths=(0.0,))


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("catastrophic-forgetting")
    assert len(result["checks"]) == 4
    run = result["metrics"]["runs"][0]
    assert len(run["fine-tuning"]["test"]) == 2 and len(run["multi-task"]["test"]) == 1
