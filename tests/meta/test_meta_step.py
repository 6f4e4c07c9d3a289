"""A meta-training step on the general loop: the meta-loss falls and the learned
initialisation adapts to a new task better than the one it started from; same seed, same run; a run
killed with SIGKILL and resumed ends bitwise identical."""

import sys
from pathlib import Path

import torch
from torch import nn

from mllab.meta.maml import MAMLConfig, Task, maml_loss
from mllab.meta.meta_step import MetaState, meta_step
from mllab.train import LoopConfig, run_loop

sys.path.insert(0, str(Path(__file__).parents[1]))
import resume_runs  # noqa: E402


def mse(pred, y):
    return ((pred - y) ** 2).mean()


def sample_tasks(g, n=4):
    tasks = []
    for _ in range(n):  # y = a x + b with a, b near (2, -1): an initialisation near them helps
        a, b = 2 + 0.3 * torch.randn(2, generator=g)
        x = torch.randn(10, 1, generator=g)
        tasks.append(Task(x[:5], a * x[:5] + b, x[5:], a * x[5:] + b))
    return tasks


def _run(steps):
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    state = MetaState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
                      generator=torch.Generator().manual_seed(0), sample_tasks=sample_tasks)
    config = MAMLConfig(alpha=0.1, inner_steps=1)
    result = run_loop(meta_step(config, mse), state, LoopConfig(steps=steps))
    return model, result, config


def test_meta_training_lowers_the_query_loss_after_adaptation():
    test_tasks = sample_tasks(torch.Generator().manual_seed(99), 16)
    model, _, config = _run(0)
    before = maml_loss(model, test_tasks, mse, config).item()
    model, result, _ = _run(100)
    after = maml_loss(model, test_tasks, mse, config).item()
    assert len(result.history) == 100 and after < 0.2 * before
    _, again, _ = _run(100)
    assert [h["meta_loss"] for h in again.history] == [h["meta_loss"] for h in result.history]


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(__file__).parent / "meta_runs.py", tmp_path,
                                         steps=30)
