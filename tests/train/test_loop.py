"""The general loop: four algorithm shapes killed with SIGKILL and resumed end bitwise identical
to uninterrupted runs; the NaN/inf guard per optimizer; what a checkpoint saves and refuses."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import Tensor, nn

from mllab.train import (
    CheckpointError,
    LoopConfig,
    LoopState,
    NonFiniteLossError,
    TrainingInterrupted,
    graceful_stop,
    latest_checkpoint,
    list_checkpoints,
    request_stop,
    run_loop,
    transient,
)

sys.path.insert(0, str(Path(__file__).parent))
import loop_shapes  # noqa: E402

SCRIPT = Path(loop_shapes.__file__)
STEPS = {"gan": 40, "diffusion": 40, "dqn": 90, "maml": 24}


def _final(directory: Path) -> tuple[dict, list]:
    return (load_file(directory / "final.safetensors"),
            json.loads((directory / "history.json").read_text()))


@pytest.mark.parametrize("shape", list(STEPS))
def test_killed_and_resumed_loop_is_bitwise_identical(tmp_path, shape):
    steps = STEPS[shape]
    loop_shapes.train(shape, tmp_path / "reference", steps)
    reference, ref_history = _final(tmp_path / "reference")
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(SCRIPT), shape, str(run), str(steps)],
                            env={**os.environ, "LOOP_SHAPES_SLEEP": "0.03"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not [p for p in list_checkpoints(run / "checkpoints")
               if int(p.name.split("-")[1]) >= steps // 3]:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "final.safetensors").exists()
    killed_at = latest_checkpoint(run / "checkpoints").state["fields"]["step"]["value"]
    assert 0 < killed_at < steps
    done = subprocess.run([sys.executable, str(SCRIPT), shape, str(run), str(steps)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final, history = _final(run)
    assert final.keys() == reference.keys()
    for key, value in reference.items():
        assert torch.equal(final[key], value), key
    assert history == ref_history and history


def test_the_dqn_checkpoints_only_at_episode_ends(tmp_path):
    loop_shapes.train("dqn", tmp_path, 60)
    for path in list_checkpoints(tmp_path / "checkpoints")[:-1]:  # the last is the final one
        assert json.loads((path / "state.json").read_text())["fields"]["obs"]["value"] is None


# ------------------------------------------------------------------ the guard
@dataclass
class TwoNets(LoopState):
    a: nn.Module
    b: nn.Module
    opt_a: torch.optim.Optimizer
    opt_b: torch.optim.Optimizer


def _two_nets(poison_b_at: int) -> tuple[TwoNets, callable]:
    torch.manual_seed(0)
    a, b = nn.Linear(2, 1), nn.Linear(2, 1)
    state = TwoNets(a=a, b=b, opt_a=torch.optim.SGD(a.parameters(), lr=0.1),
                    opt_b=torch.optim.SGD(b.parameters(), lr=0.1))
    x = torch.randn(8, 2)

    def step(s: TwoNets) -> dict:
        for net, opt in ((s.a, s.opt_a), (s.b, s.opt_b)):
            opt.zero_grad()
            loss = net(x).square().mean()
            if net is s.b and s.step == poison_b_at:
                loss = loss + 0.0 * torch.sqrt(-net.weight.sum().abs() - 1)  # NaN gradient
            loss.backward()
            opt.step()
        return {"loss": loss.item()}

    return state, step


def test_guard_refuses_a_non_finite_gradient_naming_the_optimizer():
    state, step = _two_nets(poison_b_at=3)
    with pytest.raises(NonFiniteLossError, match=r"non-finite gradient for 'opt_b' at step 4"):
        run_loop(step, state, LoopConfig(steps=10))
    assert state.step == 3
    assert all(torch.isfinite(p).all() for p in state.b.parameters())
    reference, step = _two_nets(poison_b_at=-1)
    run_loop(step, reference, LoopConfig(steps=3))
    for p, q in zip(reference.b.parameters(), state.b.parameters(), strict=True):
        assert torch.equal(p, q)  # b kept its weights after step 3: the 4th update never ran
    assert not any(torch.equal(p, q) for p, q in zip(reference.a.parameters(),
                                                     state.a.parameters(), strict=True))


def test_guard_hooks_are_removed_after_the_loop():
    state, step = _two_nets(poison_b_at=-1)
    run_loop(step, state, LoopConfig(steps=2))
    state.opt_a.zero_grad()
    state.a.weight.grad = torch.full_like(state.a.weight, math.nan)
    state.opt_a.step()  # ordinary PyTorch again: no guard outside the loop
    assert state.a.weight.isnan().all()


# ------------------------------------------------------------------ what is saved
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
    with pytest.raises(CheckpointError, match=r"structure\.net\.weight='float32\[1, 3\]', but "
                                              r"this run has structure\.net\.weight="
                                              r"'float32\[1, 4\]'"):
        run_loop(lambda s: None, One(net=nn.Linear(4, 1)), LoopConfig(steps=2),
                 checkpoint_dir=tmp_path)


def test_a_finished_loop_restores_its_final_state_without_stepping(tmp_path):
    state, step = _two_nets(poison_b_at=-1)
    first = run_loop(step, state, LoopConfig(steps=5), checkpoint_dir=tmp_path)
    again, _ = _two_nets(poison_b_at=-1)
    logged = []
    second = run_loop(lambda s: pytest.fail("stepped"), again, LoopConfig(steps=5),
                      checkpoint_dir=tmp_path, on_log=logged.append)
    assert second.history == first.history == logged and second.steps == 5
    assert torch.equal(again.a.weight, state.a.weight)


def test_a_stop_waits_for_a_boundary(tmp_path):
    @dataclass
    class Episodes(LoopState):
        t: int = 0
        """Step within the episode; episodes have 4 steps."""

    def step(s: Episodes) -> None:
        if s.step == 1:
            request_stop()
        s.t = (s.t + 1) % 4

    with graceful_stop(), pytest.raises(TrainingInterrupted, match="at step 4"):
        run_loop(step, Episodes(), LoopConfig(steps=20, checkpoint_seconds=3600),
                 checkpoint_dir=tmp_path, boundary=lambda s: s.t == 0)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-4"]


def test_early_stopping_restores_the_best_modules_and_resumes(tmp_path):
    @dataclass
    class Walk(LoopState):
        net: nn.Module

    def step(s: Walk) -> dict:
        with torch.no_grad():
            s.net.weight.add_(1.0)
        return {"valid_loss": abs(s.step - 3)}  # lowest after step 4, then rising

    def walk() -> Walk:
        net = nn.Linear(1, 1, bias=False)
        nn.init.zeros_(net.weight)
        return Walk(net=net)

    config = LoopConfig(steps=50, patience=2)
    state = walk()
    result = run_loop(step, state, config, checkpoint_dir=tmp_path)
    assert result.stopped_early and result.steps == 6 and result.best["step"] == 4
    assert state.net.weight.item() == 4.0
    again = walk()
    result = run_loop(step, again, config, checkpoint_dir=tmp_path)
    assert result.stopped_early and result.steps == 6 and again.net.weight.item() == 4.0


def test_config_is_validated():
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        LoopConfig(steps=-1)
    with pytest.raises(ValueError, match="patience must be an integer >= 1 or None, got 0"):
        LoopConfig(steps=1, patience=0)
