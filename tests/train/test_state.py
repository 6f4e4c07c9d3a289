"""What a checkpoint saves of a loop's state, field by field, and what it refuses."""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from mllab.train import (
    CheckpointError,
    LoopConfig,
    LoopState,
    TrainingInterrupted,
    graceful_stop,
    list_checkpoints,
    request_stop,
    run_loop,
    transient,
)


@dataclass
class Everything(LoopState):
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    rng: np.random.Generator
    theta: Tensor
    """A plain tensor that the optimizer updates too."""
    buffer: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    pair: tuple = (0, 0.0)
    note: str = ""
    data: Tensor = transient()


def _everything() -> Everything:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.2), nn.Linear(4, 1))
    theta = torch.zeros(3, requires_grad=True)
    opt = torch.optim.Adam([*model.parameters(), theta], lr=0.05)
    return Everything(model=model, optimizer=opt,
                      scheduler=torch.optim.lr_scheduler.ExponentialLR(opt, 0.9),
                      generator=torch.Generator().manual_seed(2), rng=np.random.default_rng(4),
                      theta=theta, data=torch.randn(32, 3, generator=torch.Generator()))


def _everything_step(s: Everything) -> dict:
    x = s.data[torch.randint(32, (8,), generator=s.generator)]
    loss = (s.model(x + s.theta).squeeze(1) - x.sum(1)).square().mean()
    s.optimizer.zero_grad()
    loss.backward()
    s.optimizer.step()
    s.scheduler.step()
    s.buffer.append(torch.tensor([float(s.rng.normal())]))
    s.counts[f"k{s.rng.integers(3)}"] = s.counts.get("k0", 0) + 1
    s.pair = (s.step, loss.item())
    s.note += "."
    return {"loss": loss.item()}


def test_every_kind_of_value_survives_an_interruption_exactly(tmp_path):
    reference = _everything()
    run_loop(_everything_step, reference, LoopConfig(steps=12))
    state = _everything()
    calls = {"n": 0}

    def stopping(s):
        calls["n"] += 1
        if calls["n"] == 5:
            request_stop()
        return _everything_step(s)

    with graceful_stop(), pytest.raises(TrainingInterrupted, match="at step 5"):
        run_loop(stopping, state, LoopConfig(steps=12, checkpoint_seconds=3600),
                 checkpoint_dir=tmp_path)
    torch.manual_seed(99)  # a fresh process would not share the global RNG state
    state = _everything()
    theta = state.theta
    run_loop(_everything_step, state, LoopConfig(steps=12), checkpoint_dir=tmp_path)
    assert state.theta is theta  # restored in place: the optimizer still updates it
    for a, b in zip(reference.model.state_dict().values(), state.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a, b)
    assert torch.equal(reference.theta, state.theta)
    assert [t.item() for t in reference.buffer] == [t.item() for t in state.buffer]
    assert (reference.counts, reference.pair, reference.note) == \
        (state.counts, state.pair, state.note)
    assert isinstance(state.pair, tuple) and len(state.note) == 12
    assert torch.equal(reference.generator.get_state(), state.generator.get_state())
    assert reference.rng.random() == state.rng.random()
    assert reference.scheduler.get_last_lr() == state.scheduler.get_last_lr()
    json_state = json.loads((list_checkpoints(tmp_path)[0] / "state.json").read_text())
    assert "data" not in json_state["fields"]  # transient


def test_a_value_a_checkpoint_cannot_store_is_refused_naming_the_field(tmp_path):
    @dataclass
    class Odd(LoopState):
        seen: set = field(default_factory=set)

    with pytest.raises(CheckpointError, match=r"field 'seen' holds a set.*transient\(\)"):
        run_loop(lambda s: None, Odd(), LoopConfig(steps=1), checkpoint_dir=tmp_path)


def test_a_checkpoint_of_another_model_is_refused_naming_the_parameter(tmp_path):
    @dataclass
    class One(LoopState):
        net: nn.Module

    run_loop(lambda s: None, One(net=nn.Linear(3, 1)), LoopConfig(steps=2),
             checkpoint_dir=tmp_path)
    with pytest.raises(CheckpointError, match=r"net differs: 'weight' has shape \(1, 3\) in the "
                                              r"checkpoint, \(1, 4\) now"):
        run_loop(lambda s: None, One(net=nn.Linear(4, 1)), LoopConfig(steps=2),
                 checkpoint_dir=tmp_path)


@dataclass
class Descent(LoopState):
    theta: Tensor
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler


def _descent(lr: float = 0.1, step_size: int = 2) -> tuple[Descent, callable]:
    theta = torch.ones(2, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size)

    def step(s: Descent) -> None:
        s.optimizer.zero_grad()
        s.theta.square().sum().backward()
        s.optimizer.step()
        s.scheduler.step()

    return Descent(theta=theta, optimizer=opt, scheduler=sched), step


def test_a_changed_learning_rate_or_schedule_is_refused_not_replaced(tmp_path):
    """Loading the checkpoint's optimizer would put lr=0.1 back silently: refused instead."""
    state, step = _descent()
    run_loop(step, state, LoopConfig(steps=3), checkpoint_dir=tmp_path)
    again, step = _descent()
    run_loop(step, again, LoopConfig(steps=4), checkpoint_dir=tmp_path)  # the same: resumes
    assert again.optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.1**2)  # 4 steps
    other_lr, step = _descent(lr=0.01)
    with pytest.raises(CheckpointError, match=r"step-4 was taken with lr=0.1 \(optimizer param "
                                              r"group 0\), this run has lr=0.01"):
        run_loop(step, other_lr, LoopConfig(steps=5), checkpoint_dir=tmp_path)
    assert other_lr.optimizer.param_groups[0]["lr"] == 0.01  # not replaced by the checkpoint's
    other_schedule, step = _descent(step_size=3)
    with pytest.raises(CheckpointError, match=r"step-4 was taken with step_size=2 \(scheduler\), "
                                              r"this run has step_size=3"):
        run_loop(step, other_schedule, LoopConfig(steps=5), checkpoint_dir=tmp_path)


def test_structure_names_fields_parameters_and_classes():
    from mllab.train.state import structure

    s = _everything()
    st = structure(s)
    assert st["model"]["0.weight"] == "float32[4, 3]"
    assert st["model"]["1.num_batches_tracked"] == "int64[]"
    adam = st["optimizer"]
    assert adam["class"] == "Adam" and list(adam["param_groups"]) == ["0"]
    group = adam["param_groups"]["0"]
    assert group["lr"] == 0.05 and group["betas"] == [0.9, 0.999] and group["eps"] == 1e-8
    assert group["params"] == "float32[4, 3], float32[4], float32[4], float32[4], " \
                              "float32[1, 4], float32[1], float32[3]"
    assert st["scheduler"]["class"] == "ExponentialLR"
    assert st["scheduler"]["state"]["gamma"] == 0.9
    json.dumps(st)  # the fingerprint is JSON
    assert st["generator"] == "torch_generator" and st["rng"] == "numpy_generator"
    assert st["theta"] == "value" and "data" not in st  # transient
