r"""The supervised training loop: mini-batch gradient descent as Lecture 1 defines it.

One **update** is one optimizer step on one batch; one **epoch** sees every training example
once, in a new order drawn from a seeded ``torch.Generator``. Full batch
(``batch_size=None``) and batch size 1 are special cases. Any ``torch.optim.Optimizer`` and
learning-rate scheduler plug in.

The loss that the optimizer minimises is the data loss plus the L1/L2 penalty on the weights
(:func:`mllab.train.weight_penalty.weight_penalty`, whose ``l2=λ`` is an optimizer's
``weight_decay=λ`` on the weights alone). The logged ``train_loss`` is the data loss alone,
averaged over the epoch.

The Trainer is the supervised specialisation of :func:`mllab.train.loop.run_loop`: one loop
step is one update, its state (:class:`SupervisedState`) holds the model, the optimizer, the
scheduler, the shuffling generator, the epoch's batch order and the position in it, so a
checkpoint taken between any two updates resumes exactly. Validation, the scheduler's epoch
step and the epoch's log line come at the last update of each epoch; early stopping and the
NaN/inf guard are the loop's.

The data is two tensors ``(x, y)``; a ``TensorDataset`` or a ``DataLoader`` over one is taken
apart into its tensors and batch size (:mod:`mllab.train.supervised_data` says which loaders,
and why others are refused).

**Several processes** (``torchrun``, or :func:`mllab.train.launch`): with :math:`W > 1` ranks
the model is wrapped in ``DistributedDataParallel`` for the update only (states and
checkpoints hold the module itself, with one process's names); every rank draws the same
global batch order and updates on its shard ``idx[r::W]`` of each batch, scaled so that DDP's
average is the one-process gradient (:meth:`Trainer._update_shard`); ``train_loss`` is
all-reduced; validation runs on every rank on the full tensors, so early stopping decides the
same everywhere. With one process the update is the plain one, with no collective.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset

from mllab.config import require
from mllab.train.checkpoint import tensor_fingerprint
from mllab.train.distributed import init_from_env, rank, shard_loss, world_size
from mllab.train.loop import (
    LoopConfig,
    LoopState,
    NonFiniteLossError,
    TrainingInterrupted,
    run_loop,
)
from mllab.train.supervised_data import supervised_tensors
from mllab.train.weight_penalty import weight_penalty

LossFn = Callable[[Tensor, Tensor], Tensor]
SupervisedData = tuple[Tensor, Tensor] | TensorDataset | DataLoader
"""What :meth:`Trainer.fit` trains and validates on (:func:`supervised_tensors`)."""
__all__ = ["FitResult", "NonFiniteLossError", "SupervisedState", "TrainConfig", "Trainer",
           "TrainingInterrupted", "weight_penalty"]


@dataclass
class TrainConfig:
    r"""How to train; validated on construction.

    Attributes:
        epochs: passes over the training data (>= 1).
        batch_size: examples per update (>= 1); ``None`` means full batch or, when
            :meth:`Trainer.fit` is given a ``DataLoader``, the loader's batch size (a value set
            here must then equal the loader's).
        l1: L1 penalty :math:`\lambda_1` on weights (>= 0).
        l2: L2 penalty :math:`\frac{\lambda_2}{2}\sum w^2` on weights (>= 0): adds
            :math:`\lambda_2 w` to the gradient, as ``weight_decay=λ₂`` does.
        clip_grad_norm: clip the gradient's total 2-norm to this value (> 0); ``None``
            disables.
        patience: early stopping: stop after this many epochs without a lower validation loss
            and restore the best weights (>= 1); ``None`` disables.
        scheduler_interval: when the scheduler steps: ``"epoch"`` or ``"step"``.
        checkpoint_seconds: least wall time between checkpoints (>= 0; 0 = after every
            update).
        keep_checkpoints: how many of the newest checkpoints to keep (>= 1).
    """

    epochs: int = 10
    batch_size: int | None = None
    l1: float = 0.0
    l2: float = 0.0
    clip_grad_norm: float | None = None
    patience: int | None = None
    scheduler_interval: str = "epoch"
    checkpoint_seconds: float = 5.0
    keep_checkpoints: int = 2

    def __post_init__(self) -> None:
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.batch_size is None or self.batch_size >= 1, "batch_size", ">= 1 or None",
                self.batch_size)
        require(self.l1 >= 0, "l1", ">= 0", self.l1)
        require(self.l2 >= 0, "l2", ">= 0", self.l2)
        require(self.clip_grad_norm is None or self.clip_grad_norm > 0, "clip_grad_norm",
                "> 0 or None", self.clip_grad_norm)
        require(self.patience is None or self.patience >= 1, "patience", ">= 1 or None",
                self.patience)
        require(self.scheduler_interval in ("epoch", "step"), "scheduler_interval",
                "'epoch' or 'step'", self.scheduler_interval)
        require(self.checkpoint_seconds >= 0, "checkpoint_seconds", ">= 0",
                self.checkpoint_seconds)
        require(self.keep_checkpoints >= 1, "keep_checkpoints", ">= 1", self.keep_checkpoints)


@dataclass
class FitResult:
    r"""What :meth:`Trainer.fit` returns: one dict per epoch, and how training ended."""

    history: list[dict] = field(default_factory=list)
    steps: int = 0
    best_epoch: int | None = None
    stopped_early: bool = False


def _check_dtype(x: Tensor, params: list[Tensor], split: str) -> None:
    r"""Refuse float inputs of another precision than the model's, in one line, before torch
    fails inside the first layer."""
    if params and x.is_floating_point() and x.dtype != params[0].dtype:
        raise ValueError(f"the {split} inputs are {x.dtype} but the model's parameters are "
                         f"{params[0].dtype}: cast the inputs (x.to({params[0].dtype})) or the "
                         f"model (model.to({x.dtype}))")


@dataclass
class SupervisedState(LoopState):
    r"""What a supervised fit changes while it trains (saved in every checkpoint)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws each epoch's batch order."""
    scheduler: Any = None
    order: Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.int64))
    """This epoch's order of the training examples, (N,)."""
    batch: int = 0
    """The next batch of this epoch (0: the epoch has not begun)."""
    epoch: int = 0
    """Epochs finished."""
    loss_sum: float = 0.0
    """Sum of the data loss times the batch size over this epoch's updates so far."""
    count: int = 0
    """Examples seen in this epoch so far."""


class Trainer:
    r"""Mini-batch training with validation, early stopping, checkpoints and exact resume.

    Args:
        model: the function set; its parameters are what ``optimizer`` updates.
        optimizer: any ``torch.optim.Optimizer``.
        loss_fn: ``loss_fn(prediction, target) -> scalar``.
        config: a :class:`TrainConfig`.
        generator: the seeded generator that draws each epoch's batch order.
        scheduler: optional LR scheduler, stepped per ``config.scheduler_interval``
            (``ReduceLROnPlateau`` receives the validation loss).
        checkpoint_dir: where checkpoints go; training resumes from the newest one there.
        fingerprint: settings a checkpoint must match to be resumed (JSON-safe dict); the
            model's structure, the optimizer's hyperparameters (``lr``, ...), ``config`` and
            the data are always part of it.
        on_log: called with each epoch's metrics dict (also for epochs replayed on resume).
        extra_metrics: ``f(model) -> dict`` merged into each epoch's metrics.
        progress: show a tqdm bar.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn: LossFn,
        config: TrainConfig,
        *,
        generator: torch.Generator,
        scheduler=None,
        checkpoint_dir: Path | None = None,
        fingerprint: dict | None = None,
        on_log: Callable[[dict], None] | None = None,
        extra_metrics: Callable[[nn.Module], dict] | None = None,
        progress: bool = False,
    ) -> None:
        self.model, self.optimizer, self.loss_fn, self.config = model, optimizer, loss_fn, config
        self.generator, self.scheduler = generator, scheduler
        self.checkpoint_dir = checkpoint_dir
        self.fingerprint = {**(fingerprint or {}), "train_config": vars(config).copy()}
        self.fingerprint["train_config"].pop("checkpoint_seconds")
        self.on_log = on_log
        self.extra_metrics = extra_metrics
        self.progress = progress
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.world, self.ddp = 1, None  # set by fit() for its world

    # ----------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor, chunk: int = 4096) -> float:
        r"""Mean loss over a whole split, in evaluation mode."""
        self.model.eval()
        total = 0.0
        for i in range(0, len(x), chunk):
            xb, yb = x[i:i + chunk], y[i:i + chunk]
            total += self.loss_fn(self.model(xb), yb).item() * len(xb)
        return total / len(x)

    # ----------------------------------------------------------------- one update
    def _update(self, xb: Tensor, yb: Tensor, s: SupervisedState) -> float:
        r"""One optimizer step on one batch (the model is in training mode); the data loss."""
        loss = self.loss_fn(self.model(xb), yb)
        self._backward(loss)
        return self._step(loss.item(), s)

    def _update_shard(self, xb: Tensor, yb: Tensor, total: int, s: SupervisedState) -> float:
        r"""One DDP step on this rank's shard ``(xb, yb)`` of a global batch of ``total``
        examples (:func:`~mllab.train.distributed.shard_loss`); the data loss of the whole
        batch."""
        local, loss_sum = shard_loss(self.loss_fn, self.ddp(xb), yb, total, self.world)
        self._backward(local)
        dist.all_reduce(loss_sum)  # every rank's share of the batch's data loss, summed
        return self._step(loss_sum.item() / total, s)

    def _backward(self, loss: Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        c = self.config
        if c.l1 or c.l2:
            (loss + weight_penalty(self.model, c.l1, c.l2)).backward()
        else:
            loss.backward()

    def _step(self, loss_value: float, s: SupervisedState) -> float:
        r"""Refuse a non-finite loss, clip, step the optimizer (and a per-step scheduler)."""
        if not math.isfinite(loss_value):
            raise NonFiniteLossError(
                f"non-finite loss at step {s.step + 1} (epoch {s.epoch + 1}): training "
                f"stopped before the optimizer step; weights are those after step {s.step}")
        c = self.config
        if c.clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(self.params, c.clip_grad_norm)
        self.optimizer.step()  # the loop's guard refuses non-finite gradients first
        if self.scheduler is not None and c.scheduler_interval == "step":
            self.scheduler.step()
        return loss_value

    def _end_epoch(self, s: SupervisedState, valid: tuple[Tensor, Tensor] | None) -> dict:
        r"""Validate, step the scheduler, start the next epoch; the epoch's log line."""
        line = {"epoch": s.epoch + 1, "train_loss": s.loss_sum / s.count,
                "lr": self.optimizer.param_groups[0]["lr"]}
        valid_loss = self.evaluate(*valid) if valid is not None else None
        if valid_loss is not None:
            line["valid_loss"] = valid_loss
        if self.extra_metrics is not None:
            line.update(self.extra_metrics(self.model))
        if self.scheduler is not None and self.config.scheduler_interval == "epoch":
            if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                self.scheduler.step(valid_loss if valid_loss is not None else line["train_loss"])
            else:
                self.scheduler.step()
        s.epoch += 1
        s.batch, s.loss_sum, s.count = 0, 0.0, 0
        return line

    # ----------------------------------------------------------------- the loop
    def fit(self, train: SupervisedData, valid: SupervisedData | None = None) -> FitResult:
        r"""Train for ``config.epochs`` epochs (or until early stopping), resuming if possible.

        Args:
            train: ``(x, y)`` tensors, a ``TensorDataset(x, y)``, or a ``DataLoader`` over one
                with ``shuffle=True`` (its tensors and batch size are used; the batch order is
                the Trainer's own, see :mod:`mllab.train.supervised_data`).
            valid: the same kinds (a loader's order and batch size do not matter), or ``None``.

        Raises:
            TypeError: ``train`` or ``valid`` is none of the accepted kinds.
            ValueError: a loader's batch size differs from ``config.batch_size``, or the
                inputs are floats of another dtype than the model's parameters.
            NonFiniteLossError: the loss or a gradient became NaN/inf.
            TrainingInterrupted: a stop was requested; a checkpoint was saved first.
            CheckpointError: the newest checkpoint is corrupt, or was written for another
                model, another optimizer setting (``lr``, ...), other data or other settings.
        """
        x, y, loader_batch = supervised_tensors(train, "train", training=True)
        _check_dtype(x, self.params, "train")
        if valid is not None:
            valid = supervised_tensors(valid, "valid", training=False)[:2]
            _check_dtype(valid[0], self.params, "valid")
        c = self.config
        require(loader_batch is None or c.batch_size in (None, loader_batch), "batch_size",
                f"None or the DataLoader's batch size {loader_batch}", c.batch_size)
        batch = c.batch_size if loader_batch is None else loader_batch
        n = len(x)
        batch_size = n if batch is None else min(batch, n)
        per_epoch = math.ceil(n / batch_size)
        first = next(self.model.parameters(), None)
        init_from_env(first.device if first is not None else "cpu")  # under torchrun
        self.world, r = world_size(), rank()
        self.ddp = DistributedDataParallel(self.model) if self.world > 1 else None

        def step(s: SupervisedState) -> dict | None:
            if s.batch == 0:
                s.order = torch.randperm(n, generator=s.generator)  # (N,)
                self.model.train()  # evaluate() at each epoch's end switches to eval mode
            idx = s.order[s.batch * batch_size:(s.batch + 1) * batch_size]  # (B,)
            if self.ddp is None:
                loss = self._update(x[idx], y[idx], s)
            else:
                shard = idx[r::self.world]  # this rank's share of the global batch
                loss = self._update_shard(x[shard], y[shard], len(idx), s)
            s.batch += 1
            s.loss_sum += loss * len(idx)
            s.count += len(idx)
            return self._end_epoch(s, valid) if s.batch == per_epoch else None

        fingerprint = None
        if self.checkpoint_dir is not None:  # what a checkpoint must have been trained on
            data = {"x": x, "y": y, **({"valid_x": valid[0], "valid_y": valid[1]} if valid
                                       else {})}
            fingerprint = {**self.fingerprint,
                           "train_config": {**self.fingerprint["train_config"],
                                            "batch_size": batch},
                           "data": {k: tensor_fingerprint(v) for k, v in data.items()}}
        state = SupervisedState(model=self.model, optimizer=self.optimizer,
                                generator=self.generator, scheduler=self.scheduler)
        result = run_loop(
            step, state, LoopConfig(steps=c.epochs * per_epoch,
                                    checkpoint_seconds=c.checkpoint_seconds,
                                    keep_checkpoints=c.keep_checkpoints, patience=c.patience),
            checkpoint_dir=self.checkpoint_dir, fingerprint=fingerprint, on_log=self.on_log,
            progress=self.progress)
        return FitResult(history=result.history, steps=result.steps,
                         best_epoch=result.best["epoch"] if result.best else None,
                         stopped_early=result.stopped_early)
