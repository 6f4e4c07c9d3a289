"""The meta-learning experiment: the evaluation's adaptation by hand, the baseline's step, its
judge on hand-made metrics for every outcome, and its quick mode end to end."""

import pytest
import torch
from torch import nn

from mllab.experiments.meta.meta_learning import (
    MetaLearningSettings,
    evaluate,
    judge_meta_learning,
    mse,
    pretrain_step,
)
from mllab.meta import MetaState, Task


def test_evaluate_takes_plain_gradient_steps_on_the_support_set():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    two = torch.full((4, 1), 2.0)
    task = Task(torch.ones(4, 1), two, torch.ones(2, 1), two[:2])
    # L = (w - 2)^2, dL/dw = 2(w - 2): w = 0 -> 0.4 -> 0.72 with alpha = 0.1
    out = evaluate(model, [task], mse, 0.1, 2, mse)
    assert out["after_1"] == pytest.approx((0.4 - 2) ** 2)
    assert out["after_2"] == pytest.approx((0.72 - 2) ** 2)
    assert model.weight.item() == 0.0  # the initialisation is left as it was


def test_the_baseline_fits_all_points_of_the_meta_batch():
    model = nn.Linear(1, 1)
    tasks = [Task(torch.randn(3, 1), torch.randn(3, 1), torch.randn(2, 1), torch.randn(2, 1))]
    state = MetaState(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.0),
                      generator=torch.Generator(), sample_tasks=lambda g: tasks)
    x = torch.cat([tasks[0].x_s, tasks[0].x_q])
    y = torch.cat([tasks[0].y_s, tasks[0].y_q])
    assert pretrain_step(mse)(state)["loss"] == pytest.approx(mse(model(x), y).item())


def _metrics(sinusoid_ratio, digits_gain):
    runs = []
    for q, g in zip(sinusoid_ratio, digits_gain, strict=True):
        sin = {m: {"after_1": 1.0, "after_10": 0.5} for m in ("maml", "first-order")}
        sin["pre-trained"] = {"after_1": q, "after_10": q}
        dig = {m: {"after_1": 0.6, "after_10": 0.7 + g} for m in ("maml", "first-order")}
        dig["pre-trained"] = {"after_1": 0.6, "after_10": 0.7}
        runs.append({"sinusoid": sin, "digits": dig})
    return {"runs": runs}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([5.0, 6.0, 4.0], [0.1, 0.12, 0.09]), ["held"] * 3, "reproduced"),
    (_metrics([0.2, 0.25, 0.2], [-0.1, -0.12, -0.09]), ["contradicted"] * 3, "not reproduced"),
    (_metrics([3.0, 0.3, 1.0], [0.1, -0.1, 0.0]), ["within noise"] * 3, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_meta_learning(metrics, MetaLearningSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="alpha_digits must be > 0"):
        MetaLearningSettings(alpha_digits=0)
    with pytest.raises(ValueError, match="eval_steps must be >= 1"):
        MetaLearningSettings(eval_steps=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("meta-learning")
    assert len(result["checks"]) == 3
    assert set(result["metrics"]["runs"][0]["digits"]["maml"]) == {"after_1", "after_2"}
