"""DDPM training (Algorithm 1) on the general loop, tiny: the run that ``test_ddpm_training.py``
kills with SIGKILL and resumes.

Run as a script: ``python ddpm_runs.py DIR STEPS`` trains an :class:`MLPDenoiser` on a fixed
2-D point cloud into ``DIR/checkpoints`` (a checkpoint after every step), resuming from there,
and writes the final weights, optimizer state and generator state to ``DIR/final.safetensors``
and the logged lines to ``DIR/history.json``. ``DDPM_RUNS_SLEEP`` (seconds) slows each step
down so that a test can kill the process half-way.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from mllab.diffusion import DDPMState, MLPDenoiser, NoiseSchedule, ddpm_training_step
from mllab.train import LoopConfig, run_loop, seed_everything

SEED, T = 5, 50


def make_state() -> DDPMState:
    seed_everything(SEED)
    model = MLPDenoiser(dim=2, T=T, width=32, depth=2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    data = torch.cat([torch.randn(64, 2, generator=g) * 0.1 + 1.0,
                      torch.randn(64, 2, generator=g) * 0.1 - 1.0])  # (128, 2)
    return DDPMState(eps_model=model, optimizer=opt, generator=torch.Generator().manual_seed(SEED),
                     data=data, schedule=NoiseSchedule.make("cosine", T=T),
                     scheduler=torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.9))


def train(directory: Path, steps: int, *, sleep: float = 0.0) -> DDPMState:
    state = make_state()
    step = ddpm_training_step(batch_size=32)

    def slow_step(s):
        time.sleep(sleep)
        return step(s)

    result = run_loop(slow_step if sleep else step, state,
                      LoopConfig(steps=steps, checkpoint_seconds=0, keep_checkpoints=3),
                      checkpoint_dir=directory / "checkpoints", fingerprint={"run": "ddpm"})
    out = {f"model.{k}": v for k, v in state.eps_model.state_dict().items()}
    for i, entries in state.optimizer.state_dict()["state"].items():
        out.update({f"opt.{i}.{k}": torch.as_tensor(v) for k, v in entries.items()})
    out["generator"] = state.generator.get_state()
    save_file({k: v.detach().clone().contiguous() for k, v in out.items()},
              directory / "final.safetensors")
    (directory / "history.json").write_text(json.dumps(result.history))
    return state


if __name__ == "__main__":
    torch.set_num_threads(1)
    train(Path(sys.argv[1]), int(sys.argv[2]), sleep=float(os.environ.get("DDPM_RUNS_SLEEP", "0")))
