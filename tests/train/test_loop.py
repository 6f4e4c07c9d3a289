"""The general loop: four algorithm shapes killed with SIGKILL and resumed end bitwise identical
to uninterrupted runs; a finished loop, stops at boundaries, early stopping."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from mllab.train import (
    CheckpointError,
    LoopConfig,
    LoopState,
    TrainingInterrupted,
    graceful_stop,
    latest_checkpoint,
    list_checkpoints,
    request_stop,
    run_loop,
    save_checkpoint,
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


def test_the_dqn_checkpoints_only_at_episode_ends(tmp_path, monkeypatch):
    import mllab.train.loop

    saved = []

    def recording(directory, step, *, tensors, state, keep):
        saved.append((step, state["fields"]["obs"]["value"]))
        return save_checkpoint(directory, step, tensors=tensors, state=state, keep=keep)

    monkeypatch.setattr(mllab.train.loop, "save_checkpoint", recording)
    loop_shapes.train("dqn", tmp_path, 60)
    *periodic, (final_step, _) = saved
    assert final_step == 60 and len(periodic) >= 3  # every episode end, then the final state
    assert all(obs is None for _, obs in periodic)  # no episode was cut by a checkpoint
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["step-60"]


@dataclass
class Fit(LoopState):
    net: nn.Module
    optimizer: torch.optim.Optimizer


def _fit() -> tuple[Fit, callable]:
    torch.manual_seed(0)
    net = nn.Linear(2, 1)
    x = torch.randn(8, 2)

    def step(s: Fit) -> dict:
        s.optimizer.zero_grad()
        loss = s.net(x).square().mean()
        loss.backward()
        s.optimizer.step()
        return {"loss": loss.item()}

    return Fit(net=net, optimizer=torch.optim.SGD(net.parameters(), lr=0.1)), step


def test_a_finished_loop_restores_its_final_state_without_stepping(tmp_path):
    state, step = _fit()
    first = run_loop(step, state, LoopConfig(steps=5, checkpoint_seconds=3600),
                     checkpoint_dir=tmp_path)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-5"]  # the final one
    again, _ = _fit()
    logged = []
    second = run_loop(lambda s: pytest.fail("stepped"), again, LoopConfig(steps=5),
                      checkpoint_dir=tmp_path, on_log=logged.append)
    assert second.history == first.history == logged and second.steps == 5
    assert torch.equal(again.net.weight, state.net.weight)


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


def _draws(run: Path) -> list:
    return json.loads((run / "draws.json").read_text())


def test_two_ranks_stop_at_one_step_and_resume_each_rank_s_random_draws(tmp_path):
    import distributed_runs

    from mllab.train import launch

    launch(distributed_runs.draw_loop, 2, str(tmp_path / "reference"), 8, timeout=120)
    reference = _draws(tmp_path / "reference")
    assert len(reference) == 8 and all(a != b for a, b in reference)  # the ranks draw apart
    run = tmp_path / "stopped"
    with pytest.raises(TrainingInterrupted, match="at step 3"):  # rank 1 asked, rank 0 too
        launch(distributed_runs.draw_loop, 2, str(run), 8, 3, timeout=120)
    checkpoint = latest_checkpoint(run / "checkpoints")
    assert checkpoint.path.name == "step-3" and len(checkpoint.state["rng_ranks"]) == 2
    with pytest.raises(CheckpointError, match="world_size=2, but this run has world_size=1"):
        run_loop(lambda s: pytest.fail("stepped"), distributed_runs.Draws(),
                 LoopConfig(steps=8), checkpoint_dir=run / "checkpoints")  # one process
    launch(distributed_runs.draw_loop, 2, str(run), 8, timeout=120)
    assert _draws(run) == reference  # rank 1 went on from its own RNG state, not rank 0's

