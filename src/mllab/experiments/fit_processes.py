r"""``mllab fit --nproc N``: one trial's model trained by N processes with torch.distributed.

Each process (:func:`mllab.train.distributed.launch`) builds the same estimator from the same
rows and seed, and the :class:`~mllab.train.Trainer` shares each global batch among them
(DistributedDataParallel; gloo on the CPU, NCCL on GPUs). Rank 0 alone writes the checkpoints
into the trial's folder, so a killed run resumes there, with N processes again; when training
ends, rank 0 writes the final weights and the epochs' history beside them
(``processes.safetensors``, ``processes.json``), which this process reads back into its own
copy of the estimator.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from mllab.experiments.context import RunContext, Trial, write_json
from mllab.train import EstimatorConfig, FitResult, TabularEstimator, Trainer, derive_seed
from mllab.train.distributed import is_main, launch
from mllab.train.seed import seed_everything


def _worker(config: dict, seed: int, batch_seed: int, feature_names: tuple[str, ...],
            train: tuple[Tensor, Tensor], valid: tuple[Tensor, Tensor] | None, folder: str,
            device: str, checkpoint_seconds: float, progress: bool) -> None:
    r"""One process: the estimator's training as in one process (the same initial weights,
    the same batch order as :meth:`Trial.fit` draws), its batches shared."""
    seed_everything(derive_seed(seed, "processes"))
    config = EstimatorConfig(**{**config, "hidden": tuple(config["hidden"])})
    est = TabularEstimator(config, seed=seed, feature_names=feature_names, device=device)
    p = est.prepare(*train, valid)
    folder = Path(folder)
    trainer = Trainer(p.model, p.optimizer, p.loss_fn,
                      dataclasses.replace(p.config, checkpoint_seconds=checkpoint_seconds),
                      generator=torch.Generator().manual_seed(batch_seed),
                      checkpoint_dir=folder / "checkpoints", progress=progress and is_main())
    fit = trainer.fit(p.train, p.valid)
    if is_main():
        tmp = folder / "processes.safetensors.tmp"
        save_file({k: v.detach().cpu().contiguous() for k, v in p.model.state_dict().items()},
                  tmp)
        tmp.replace(folder / "processes.safetensors")
        write_json(folder / "processes.json", dataclasses.asdict(fit))


def train_in_processes(ctx: RunContext, s, t: Trial, est: TabularEstimator,
                       train: tuple[Tensor, Tensor],
                       valid: tuple[Tensor, Tensor] | None) -> FitResult:
    r"""Train ``est`` in the trial ``t`` with ``s.nproc`` processes (or restore it)."""
    est.prepare(*train, valid)  # this process's copy, which receives the final weights
    t.dir.mkdir(parents=True, exist_ok=True)

    def run() -> FitResult:
        if not (t.dir / "processes.json").is_file():
            launch(_worker, s.nproc, dataclasses.asdict(est.config), est.seed,
                   ctx.seed_for(f"{t.name}/batches"), est.feature_names, train, valid,
                   str(t.dir), s.device, ctx.checkpoint_seconds, ctx.progress.on_terminal,
                   device=s.device)
        est.model.load_state_dict(load_file(t.dir / "processes.safetensors"))
        fit = FitResult(**json.loads((t.dir / "processes.json").read_text()))
        for line in fit.history:
            ctx.log(trial=t.name, **line)
        return fit

    return t.train(run, {"model": est.model})
