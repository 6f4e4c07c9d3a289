"""The continual step on the general loop: one SGD step by hand with the penalty, SI's omega
tracked by the step, a strong EWC penalty keeping task A's loss low while task B trains, and a
run killed with SIGKILL and resumed that ends bitwise identical."""

import sys
from pathlib import Path

import torch
from torch import nn

from mllab.lifelong.continual_step import ContinualConfig, ContinualState, continual_step
from mllab.lifelong.ewc import ewc, fisher_diagonal
from mllab.lifelong.quadratic_penalty import Consolidation
from mllab.train import LoopConfig, run_loop

sys.path.insert(0, str(Path(__file__).parents[1]))
import resume_runs  # noqa: E402


def mse(pred, y):
    return ((pred - y) ** 2).mean()


def _state(penalty=None, omega=None, lr=0.1):
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    return ContinualState(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=lr),
                          generator=torch.Generator().manual_seed(0), omega=omega,
                          x=torch.ones(4, 1), y=torch.zeros(4, 1), penalty=penalty)


def test_one_step_by_hand_with_the_penalty():
    # L = w^2, g = 2w = 2; penalty 0.5 * 3 * (w - 0)^2, gradient 3w = 3: w = 1 - 0.1 * 5
    penalty = Consolidation({"weight": torch.zeros(1, 1)}, {"weight": torch.full((1, 1), 3.0)}, 0.5)
    s = _state(penalty)
    line = continual_step(ContinualConfig(batch_size=2), mse)(s)
    assert line == {"loss": 1.0, "penalty": 1.5}
    assert torch.isclose(s.model.weight, torch.tensor([[0.5]]))


def test_si_omega_is_tracked_from_the_task_gradient_only():
    penalty = Consolidation({"weight": torch.zeros(1, 1)}, {"weight": torch.full((1, 1), 3.0)}, 0.5)
    s = _state(penalty, omega={"weight": torch.zeros(1, 1)})
    run_loop(continual_step(ContinualConfig(batch_size=2), mse), s, LoopConfig(steps=2))
    # w: 1 -> 0.5 -> 0.25 (factor 1 - 0.1 * 5); omega = sum g * 0.5 w = sum 2w * 0.5w = w^2
    assert torch.isclose(s.omega["weight"], torch.tensor([[1.0 + 0.25]]))


def test_a_strong_ewc_penalty_keeps_task_a():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 2, generator=g)
    y_a, y_b = (x[:, 0] > 0).long(), (x[:, 1] > 0).long()

    def train(model, y, penalty):
        s = ContinualState(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
                           generator=torch.Generator().manual_seed(2), x=x, y=y, penalty=penalty)
        run_loop(continual_step(ContinualConfig(16), nn.functional.cross_entropy), s,
                 LoopConfig(steps=60))

    loss_a = {}
    for name in ("fine-tune", "ewc"):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        train(model, y_a, None)
        fisher = fisher_diagonal(model, x, y_a)
        # the strongest stable lambda: lr * lambda * max F = 1 (SGD on the quadratic)
        lam = 1 / (0.5 * max(f.max().item() for f in fisher.values()))
        train(model, y_b, ewc(model, fisher, lam) if name == "ewc" else None)
        with torch.no_grad():
            loss_a[name] = nn.functional.cross_entropy(model(x), y_a).item()  # task A after B
    assert loss_a["ewc"] < 0.5 * loss_a["fine-tune"]  # measured: 0.50 vs 1.58


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(__file__).parent / "continual_runs.py", tmp_path,
                                         steps=30)
