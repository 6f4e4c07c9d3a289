r"""What an experiment sees while it runs: seeded generators, metric logging, figures, and
trials that survive a kill.

A run is re-executed from the top when resumed. Every trial is seeded from the run's seed
and its own name, so its code does the same thing whether or not the trials before it ran
in this process; a finished trial is not trained again (its final state and history come
from its last checkpoint) and an unfinished one continues from its newest checkpoint.
``metrics.jsonl`` is rebuilt along the way, so it ends identical to that of an uninterrupted
run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch
from safetensors.torch import save_file
from torch import Tensor, nn

from mllab.experiments.progress import TrialProgress
from mllab.train import (
    CheckpointError,
    FitResult,
    LoopConfig,
    LoopResult,
    LoopState,
    NonFiniteLossError,
    TrainConfig,
    Trainer,
    derive_seed,
    run_loop,
    seed_everything,
)
from mllab.train.loop import Step
from mllab.train.state import saved_fields
from mllab.train.trainer import LossFn

T = TypeVar("T")

_TRIAL_NAME = re.compile(r"^[A-Za-z0-9_.=-]+$")


def write_json(path: Path, value: dict) -> None:
    r"""Write JSON atomically: a temporary file in the same folder, then a rename (on a full
    disk the old file stays as it was)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(value, indent=1, allow_nan=True))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_trial(file: Path) -> dict:
    r"""A finished trial's ``trial.json``; :class:`CheckpointError` if it is damaged."""
    try:
        stored = json.loads(file.read_text())
        if not (isinstance(stored, dict) and isinstance(stored.get("records"), dict)
                and isinstance(stored.get("error"), str | None)):
            raise ValueError("not a trial's record")
    except (OSError, ValueError, RecursionError) as e:
        raise CheckpointError(f"{file} is damaged ({e}); delete that trial's folder to train "
                              f"it again") from None
    return stored


class RunContext:
    r"""The services a run offers its experiment.

    Attributes:
        seed: the run's seed.
        out: the run folder.
        quick: whether this is quick mode.
        progress: the run's progress, trial by trial.
        checkpoint_seconds: least wall time between training checkpoints.

    ``metrics.jsonl`` is rebuilt on every (re)start into ``metrics.jsonl.tmp``, which replaces
    it when the attempt ends, so a refused resume leaves the old one as it was.
    """

    def __init__(self, out: Path, seed: int, *, quick: bool, progress: TrialProgress,
                 checkpoint_seconds: float) -> None:
        self.out, self.seed, self.quick = out, seed, quick
        self.progress, self.checkpoint_seconds = progress, checkpoint_seconds
        self.figures: list[dict] = []
        self._trials: set[str] = set()
        self._metrics = open(out / "metrics.jsonl.tmp", "w")

    def close(self, *, keep: bool = True) -> None:
        r"""End the attempt: ``metrics.jsonl`` becomes this attempt's log (``keep``) or stays."""
        self._metrics.close()
        self.progress.close()
        tmp = self.out / "metrics.jsonl.tmp"
        if keep:
            os.replace(tmp, self.out / "metrics.jsonl")
        else:
            tmp.unlink()

    def plan(self, trials: int) -> None:
        r"""Add ``trials`` to the trials this run will have (the progress bar's total)."""
        self.progress.plan(trials)

    def generator(self, name: str) -> torch.Generator:
        r"""A ``torch.Generator`` seeded from the run's seed and ``name``."""
        return torch.Generator().manual_seed(self.seed_for(name))

    def seed_for(self, name: str) -> int:
        r"""A seed for a named part of the run (a repeat's data split, say)."""
        return derive_seed(self.seed, name)

    def log(self, trial: str | None = None, **metrics) -> None:
        r"""Append one line to ``metrics.jsonl``."""
        self._metrics.write(json.dumps({"trial": trial, **metrics}) + "\n")
        self._metrics.flush()

    def save_figure(self, fig, name: str, caption: str) -> str:
        r"""Save a matplotlib figure as ``<name>.png`` in the run folder and list it."""
        from mllab.report import save_png

        file = f"{name}.png"
        save_png(fig, self.out / file)
        self.figures.append({"file": file, "caption": caption})
        return file

    def trial(self, name: str) -> Trial:
        r"""A named unit of work; use as ``with ctx.trial("1-day") as t: ...``."""
        if not _TRIAL_NAME.match(name) or name in self._trials:
            raise ValueError(f"trial name {name!r} is invalid or used twice")
        self._trials.add(name)
        return Trial(self, name)


class Trial:
    r"""One model trained (or one result computed) inside a run.

    On entry the global RNGs are seeded from the run's seed and the trial's name. A trial
    trains once, with :meth:`fit` (supervised, through :class:`mllab.train.Trainer`) or
    :meth:`run` (any algorithm, through :func:`mllab.train.run_loop`), checkpointing into
    ``trials/<name>/checkpoints``; the loop always ends with a checkpoint of its final state
    (and keeps only that one), so a trial that finished in an earlier process restores its
    final state from there instead of training again. A run that diverged
    (``NonFiniteLossError``, caught by the experiment inside the ``with`` block) is stored too
    and raises again on resume. ``record`` stores JSON values
    with the trial. Every trained module's final weights are also written as
    ``trials/<name>/<field>.safetensors`` (``model.safetensors`` for :meth:`fit`; transient
    fields, such as a fixed teacher, are not).
    """

    def __init__(self, ctx: RunContext, name: str) -> None:
        self.ctx, self.name = ctx, name
        self.dir = ctx.out / "trials" / name
        self._file = self.dir / "trial.json"
        self.stored: dict | None = _read_trial(self._file) if self._file.exists() else None
        self._trained = False
        self._error: str | None = None
        self._records: dict = {}

    @property
    def done(self) -> bool:
        r"""Whether this trial finished in an earlier process."""
        return self.stored is not None

    def __enter__(self) -> Trial:
        seed_everything(derive_seed(self.ctx.seed, self.name))
        self._began = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return
        if not self.done:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_json(self._file, {"error": self._error, "records": self._records})
        self.ctx.progress.finished(self.name, time.perf_counter() - self._began,
                                   restored=self.done)

    def record(self, key: str, compute: Callable[[], object]) -> object:
        r"""``compute()`` once; a finished trial returns the stored value instead."""
        if self.done:
            if key not in self.stored["records"]:
                raise CheckpointError(f"{self._file} has no record {key!r}; delete that "
                                      f"trial's folder to train it again")
            return self.stored["records"][key]
        value = compute()
        self._records[key] = value
        return value

    def _log(self, line: dict) -> None:
        self.ctx.log(trial=self.name, **line)

    def fit(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn: LossFn,
        train: tuple[Tensor, Tensor],
        valid: tuple[Tensor, Tensor] | None,
        config: TrainConfig,
        *,
        scheduler=None,
        fingerprint: dict | None = None,
        extra_metrics: Callable[[nn.Module], dict] | None = None,
    ) -> FitResult:
        r"""Train ``model`` with the :class:`~mllab.train.Trainer` (or restore it, if this trial
        finished before). ``fingerprint`` (for example the experiment's settings) must match
        for a checkpoint to be resumed; the model's structure and the data always must."""
        config = dataclasses.replace(config, checkpoint_seconds=self.ctx.checkpoint_seconds)
        trainer = Trainer(
            model, optimizer, loss_fn, config,
            generator=self.ctx.generator(f"{self.name}/batches"), scheduler=scheduler,
            checkpoint_dir=self.dir / "checkpoints", fingerprint=fingerprint,
            on_log=self._log, extra_metrics=extra_metrics, progress=self.ctx.progress.on_terminal)
        return self.train(lambda: trainer.fit(train, valid), {"model": model})

    def run(
        self,
        step: Step,
        state: LoopState,
        config: LoopConfig,
        *,
        fingerprint: dict | None = None,
        boundary: Callable[[LoopState], bool] | None = None,
    ) -> LoopResult:
        r"""Train with any algorithm: :func:`mllab.train.run_loop` of ``step`` on ``state``
        (or restore the final state, if this trial finished before)."""
        config = dataclasses.replace(config, checkpoint_seconds=self.ctx.checkpoint_seconds)
        modules = {name: v for name in saved_fields(state)  # a transient teacher is not trained
                   if isinstance(v := getattr(state, name), nn.Module)}
        return self.train(lambda: run_loop(
            step, state, config, checkpoint_dir=self.dir / "checkpoints",
            fingerprint=fingerprint, boundary=boundary, on_log=self._log,
            progress=self.ctx.progress.on_terminal), modules)

    def train(self, train: Callable[[], T], modules: dict[str, nn.Module]) -> T:
        r"""Train ``modules`` with ``train()`` (or restore them, if this trial finished before):
        for training that :meth:`fit` and :meth:`run` do not cover, such as several processes
        that checkpoint into ``self.dir / "checkpoints"``. Returns what ``train()`` returns."""
        if self._trained:
            raise RuntimeError(f"trial {self.name!r} already trained: one fit or run per trial")
        self._trained = True
        if self.done and self.stored.get("error"):
            self._error = self.stored["error"]
            raise NonFiniteLossError(self._error)
        try:
            result = train()
        except NonFiniteLossError as e:  # a diverged trial is a result too
            self._error = str(e)
            raise
        if not self.done:
            self.dir.mkdir(parents=True, exist_ok=True)
            for name, module in modules.items():
                file = self.dir / f"{name}.safetensors"
                tmp = file.with_name(file.name + ".tmp")
                save_file({k: v.detach().contiguous() for k, v in module.state_dict().items()},
                          tmp)
                os.replace(tmp, file)
        # Whatever ran above, the code after training starts from the same RNG state.
        seed_everything(derive_seed(self.ctx.seed, self.name + "/after-fit"))
        return result
