"""The DANN step: λ follows the schedule with the step, the logged values, the same seed gives
the same run, source-only (weights 0) leaves the extractor untouched by the domain loss, and
on a shifted synthetic domain the domain classifier is fooled more with DANN than without; a run
killed with SIGKILL and resumed ends bitwise identical."""

import sys
from pathlib import Path

import torch

from mllab.domain_adaptation import (
    DANN,
    DANNConfig,
    DANNState,
    DANNStepConfig,
    dann_lambda,
    dann_step,
)
from mllab.train import LoopConfig, run_loop

sys.path.insert(0, str(Path(__file__).parents[1]))
import resume_runs  # noqa: E402


def _state(seed: int = 0) -> DANNState:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    xs = torch.randn(128, 4, generator=g)
    ys = (xs[:, 0] > 0).long()
    xt = torch.randn(128, 4, generator=g) + torch.tensor([0.0, 3.0, 0.0, 0.0])  # shifted
    model = DANN(DANNConfig(in_features=4, features=8, hidden=16, classes=2))
    return DANNState(model=model, opt=torch.optim.Adam(model.parameters(), lr=1e-2),
                     generator=torch.Generator().manual_seed(1), x_source=xs, y_source=ys,
                     x_target=xt)


def test_lambda_follows_the_schedule_and_logs():
    s, step = _state(), dann_step(DANNStepConfig(total_steps=10, batch_size=16))
    for k in range(3):
        s.step = k
        line = step(s)
        assert line["lambda"] == dann_lambda(k / 10)
    assert set(line) == {"loss_y", "loss_d", "entropy", "lambda", "acc_d"}


def test_same_seed_same_run():
    config = DANNStepConfig(total_steps=20, batch_size=16, entropy_weight=0.1)
    a, b = _state(), _state()
    run_loop(dann_step(config), a, LoopConfig(steps=20))
    run_loop(dann_step(config), b, LoopConfig(steps=20))
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(p, q)


def test_domain_confusion_with_dann_not_without():
    def domain_accuracy(domain_weight: float) -> float:
        s = _state()
        run_loop(dann_step(DANNStepConfig(total_steps=300, batch_size=64,
                                          domain_weight=domain_weight)), s,
                 LoopConfig(steps=300))
        # a fresh domain classifier on the frozen features: how separable are the domains?
        with torch.no_grad():
            f = torch.cat([s.model.features(s.x_source), s.model.features(s.x_target)])
        d = torch.cat([torch.zeros(128), torch.ones(128)])
        probe = torch.nn.Linear(f.shape[1], 1)
        opt = torch.optim.Adam(probe.parameters(), lr=0.05)
        for _ in range(200):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(probe(f).squeeze(1), d).backward()
            opt.step()
        return ((probe(f).squeeze(1) > 0).float() == d).float().mean().item()

    with_dann, without = domain_accuracy(1.0), domain_accuracy(0.0)
    assert with_dann < without - 0.1


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(__file__).parent / "dann_runs.py", tmp_path,
                                         steps=30)
