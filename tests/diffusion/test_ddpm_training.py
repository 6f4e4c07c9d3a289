"""Algorithm 1: the loss by hand from the same draws, a denoiser that learns on the general
loop, and a run killed with SIGKILL and resumed that ends bitwise identical."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mllab.config import ConfigError
from mllab.diffusion import (
    MLPDenoiser,
    NoiseSchedule,
    ddpm_loss,
    ddpm_training_step,
    epsilon_loss,
)
from mllab.train import LoopConfig, latest_checkpoint, list_checkpoints, run_loop

sys.path.insert(0, str(Path(__file__).parent))
import ddpm_runs  # noqa: E402

SCRIPT = Path(ddpm_runs.__file__)


def test_loss_is_lines_3_to_5_of_algorithm_1_by_hand():
    torch.manual_seed(0)
    s = NoiseSchedule.make("linear", T=100, dtype=torch.float64)
    model = MLPDenoiser(dim=3, T=100, width=16, depth=1).double()
    x0 = torch.randn(10, 3, dtype=torch.float64)
    loss = ddpm_loss(model, s, x0, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    t = torch.randint(0, 100, (10,), generator=g)
    eps = torch.randn(10, 3, generator=g, dtype=torch.float64)
    ab = s.alpha_bar[t][:, None]
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    expected = ((eps - model(xt, t)) ** 2).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-14)
    assert epsilon_loss(eps, eps).item() == 0.0


def test_a_denoiser_learns_on_the_general_loop():
    state = ddpm_runs.make_state()
    # at initialisation ε_θ ≈ 0, so the loss ≈ E[ε²] = 1
    result = run_loop(ddpm_training_step(batch_size=64), state, LoopConfig(steps=300))
    first = result.history[0]["train_loss"]
    last = sum(h["train_loss"] for h in result.history[-20:]) / 20
    assert 0.7 < first < 1.5
    assert last < 0.6 * first
    with pytest.raises(ConfigError, match="batch_size"):
        ddpm_training_step(0)


def test_killed_and_resumed_training_is_bitwise_identical(tmp_path):
    steps = 40
    ddpm_runs.train(tmp_path / "reference", steps)
    reference = load_file(tmp_path / "reference" / "final.safetensors")
    ref_history = json.loads((tmp_path / "reference" / "history.json").read_text())
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(run), str(steps)],
                            env={**os.environ, "DDPM_RUNS_SLEEP": "0.03"},
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
    done = subprocess.run([sys.executable, str(SCRIPT), str(run), str(steps)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = load_file(run / "final.safetensors")
    assert final.keys() == reference.keys()
    for key, value in reference.items():
        assert torch.equal(final[key], value), key
    history = json.loads((run / "history.json").read_text())
    assert history == ref_history and len(history) == steps
