"""GAN training runs on the general loop for ``test_gan_step.py`` to kill with SIGKILL and resume.

The run has every kind of state a GAN step touches: a conditional DCGAN on the digits whose
generator has batch norm (running statistics), a spectrally normalized projection critic (the
power-iteration vectors), WGAN-GP (the penalty's epsilons), k = 2 critic steps, mismatched
negatives (wrong labels), two Adam optimizers and the state's generator.

Run as a script: ``python gan_runs.py DIR STEPS`` trains into ``DIR/checkpoints`` (a checkpoint
after every step), resuming from there, and writes the final tensors to
``DIR/final.safetensors`` and the logged lines to ``DIR/history.json``. ``GAN_RUNS_SLEEP``
(seconds) slows each step down so that a test can kill the process half-way.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from mllab.gan import (
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    GANState,
    GANStepConfig,
    gan_step,
    load_digit_images,
)
from mllab.train import LoopConfig, run_loop, seed_everything

SEED = 5
STEP = GANStepConfig(loss="wasserstein", batch_size=16, z_dim=8, d_steps=2, gp_weight=10.0,
                     mismatched=True, log_every=3)


def make() -> GANState:
    seed_everything(SEED)
    x, y = load_digit_images()
    config = DCGANConfig(z_dim=8, width=8, num_classes=10)
    G = DCGANGenerator(config)
    D = DCGANDiscriminator(config, spectral_norm=True, generator=torch.Generator().manual_seed(1))
    return GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9)),
                    opt_D=torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9)),
                    generator=torch.Generator().manual_seed(SEED), data=x[:400], labels=y[:400])


def final_tensors(state: GANState) -> dict[str, torch.Tensor]:
    out = {f"G.{k}": v for k, v in state.G.state_dict().items()}
    out |= {f"D.{k}": v for k, v in state.D.state_dict().items()}
    for name in ("opt_G", "opt_D"):
        for i, entries in getattr(state, name).state_dict()["state"].items():
            out |= {f"{name}.{i}.{k}": torch.as_tensor(v) for k, v in entries.items()}
    out["generator"] = state.generator.get_state()
    return {k: v.detach().clone().contiguous() for k, v in out.items()}


def train(directory: Path, steps: int, *, sleep: float = 0.0) -> GANState:
    state = make()
    step = gan_step(STEP)

    def slow_step(s: GANState) -> dict | None:
        time.sleep(sleep)
        return step(s)

    result = run_loop(slow_step if sleep else step, state,
                      LoopConfig(steps=steps, checkpoint_seconds=0, keep_checkpoints=3),
                      checkpoint_dir=directory / "checkpoints", fingerprint={"run": "gan"})
    save_file(final_tensors(state), directory / "final.safetensors")
    (directory / "history.json").write_text(json.dumps(result.history))
    return state


if __name__ == "__main__":
    torch.set_num_threads(1)
    train(Path(sys.argv[1]), int(sys.argv[2]), sleep=float(os.environ.get("GAN_RUNS_SLEEP", "0")))
