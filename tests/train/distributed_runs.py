"""What ``test_distributed.py`` and ``test_loop.py`` run on several ranks: top-level functions
(``launch`` pickles them) that train a small MLP with the Trainer, or a loop whose steps draw
from each rank's global RNG.

Run as a script: ``python distributed_runs.py NPROC DIR [SLEEP]`` trains the MLP on ``NPROC``
ranks into ``DIR`` (a checkpoint after every update in ``DIR/checkpoints``, resuming from
there), sleeping ``SLEEP`` seconds per update so that a test can kill it half-way.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch import nn

from mllab.losses import mse
from mllab.train import (
    LoopConfig,
    LoopState,
    TrainConfig,
    Trainer,
    is_main,
    launch,
    rank,
    request_stop,
    run_loop,
    seed_everything,
)

N, BATCH = 36, 7
"""36 examples in batches of 7: shards of 4 and 3, and a last batch of 1 (rank 1's shard of it
is empty)."""


def data(dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(N + 12, 5, generator=g, dtype=dtype)
    y = (x[:, :2] ** 2).sum(1, keepdim=True) + 0.1 * torch.randn(N + 12, 1, generator=g,
                                                                dtype=dtype)
    return x[:N], y[:N], x[N:], y[N:]


def train(out: str, dtype: str = "float32", optimizer: str = "adam", epochs: int = 3,
          checkpoints: bool = False, sleep: float = 0.0, die: tuple | None = None) -> None:
    """Train the MLP; rank 0 writes ``out/final.safetensors`` and ``out/history.json``.

    ``die = (rank, update, how)``: that rank ends at that update by ``"exit"`` (code 3),
    ``"sigkill"`` or ``"raise"`` (ValueError)."""
    torch.set_num_threads(1)
    dt = getattr(torch, dtype)
    seed_everything(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1)).to(dt)
    opt = (torch.optim.Adam(model.parameters(), lr=0.01) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.5))
    updates = 0

    def loss_fn(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        nonlocal updates
        updates += 1
        if die is not None and rank() == die[0] and updates == die[1]:
            if die[2] == "exit":
                os._exit(3)
            if die[2] == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError(f"rank {rank()} gave up at update {updates}")
        time.sleep(sleep)
        return mse(pred, target)

    x, y, vx, vy = data(dt)
    config = TrainConfig(epochs=epochs, batch_size=BATCH, l2=1e-3, checkpoint_seconds=0)
    trainer = Trainer(model, opt, loss_fn, config, generator=torch.Generator().manual_seed(2),
                      checkpoint_dir=Path(out) / "checkpoints" if checkpoints else None)
    result = trainer.fit((x, y), (vx, vy))
    if is_main():
        Path(out).mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                  Path(out) / "final.safetensors")
        (Path(out) / "history.json").write_text(json.dumps(result.history))


def train_all(out: str) -> None:
    """:func:`train` in float32 with Adam and in float64 with SGD, into ``out/<dtype>``."""
    train(f"{out}/float32", "float32", "adam")
    train(f"{out}/float64", "float64", "sgd")


@dataclass
class Draws(LoopState):
    net: nn.Module = field(default_factory=lambda: nn.Linear(1, 1))
    draws: list = field(default_factory=list)
    """Every rank's ``torch.rand`` draw at each step (the same list on every rank)."""


def draw_loop(out: str, steps: int, stop_at: int | None = None) -> None:
    """Each step, every rank draws from its own global RNG (seeded by its rank); rank 1 asks to
    stop after step ``stop_at``. Rank 0 writes ``out/draws.json`` when the loop ends."""
    torch.manual_seed(10 + rank())

    def step(s: Draws) -> None:
        u = torch.rand(1)
        both = [torch.zeros(1) for _ in range(dist.get_world_size())]
        dist.all_gather(both, u)
        s.draws.append([v.item() for v in both])
        if stop_at is not None and rank() == 1 and s.step + 1 == stop_at:
            request_stop()

    state = Draws()
    run_loop(step, state, LoopConfig(steps=steps, checkpoint_seconds=3600),
             checkpoint_dir=Path(out) / "checkpoints")
    if is_main():
        (Path(out) / "draws.json").write_text(json.dumps(state.draws))


if __name__ == "__main__":
    nproc, out = int(sys.argv[1]), sys.argv[2]
    sleep = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    launch(train, nproc, out, "float32", "adam", 4, True, sleep, timeout=240)
