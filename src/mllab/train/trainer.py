r"""The training loop: mini-batch gradient descent as Lecture 1 defines it.

One **update** is one optimizer step on one batch; one **epoch** sees every training example
once, in a new order drawn from a seeded ``torch.Generator``. Full batch
(``batch_size=None``) and batch size 1 are special cases. Any ``torch.optim.Optimizer`` and
learning-rate scheduler plug in.

The loss that the optimizer minimises is

.. math:: L'(\theta) = L(\theta) + \lambda_1 \sum_i |w_i| + \lambda_2 \sum_i w_i^2

where the penalties reach weights only (parameters with two or more dimensions), never biases.
The logged ``train_loss`` is :math:`L`, the data loss alone, averaged over the epoch.

Exact resume: a checkpoint holds the weights, the optimizer and scheduler, the global RNG
states, the shuffling generator's state at the start of the epoch and the position in that
epoch's batch order, so training continued from it takes the very same steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm import tqdm

from mllab.data.batching import batch_indices
from mllab.train.checkpoint import check_fingerprint, latest_checkpoint, save_checkpoint
from mllab.train.seed import bytes_to_text, rng_states, set_rng_states, text_to_bytes
from mllab.train.stop import stop_requested

LossFn = Callable[[Tensor, Tensor], Tensor]


class NonFiniteLossError(RuntimeError):
    r"""The loss or a gradient became NaN/inf; training stopped before the optimizer step."""


class TrainingInterrupted(Exception):
    r"""SIGINT/SIGTERM arrived; a checkpoint was saved and training stopped."""


@dataclass
class TrainConfig:
    r"""How to train; validated on construction."""

    epochs: int = 10
    """Passes over the training data (>= 1)."""
    batch_size: int | None = None
    """Examples per update (>= 1); ``None`` means full batch."""
    l1: float = 0.0
    """L1 penalty :math:`\\lambda_1` on weights (>= 0)."""
    l2: float = 0.0
    """L2 penalty :math:`\\lambda_2` on weights (>= 0)."""
    clip_grad_norm: float | None = None
    """Clip the gradient's total 2-norm to this value (> 0); ``None`` disables."""
    patience: int | None = None
    """Early stopping: stop after this many epochs without a lower validation loss and
    restore the best weights (>= 1); ``None`` disables."""
    scheduler_interval: str = "epoch"
    """When the scheduler steps: ``"epoch"`` or ``"step"``."""
    checkpoint_seconds: float = 5.0
    """Least wall time between checkpoints, taken at epoch ends (>= 0; 0 = every epoch)."""
    keep_checkpoints: int = 2
    """How many of the newest checkpoints to keep (>= 1)."""

    def __post_init__(self) -> None:
        checks = {
            "epochs": (self.epochs >= 1, ">= 1"),
            "batch_size": (self.batch_size is None or self.batch_size >= 1, ">= 1 or None"),
            "l1": (self.l1 >= 0, ">= 0"),
            "l2": (self.l2 >= 0, ">= 0"),
            "clip_grad_norm": (self.clip_grad_norm is None or self.clip_grad_norm > 0,
                               "> 0 or None"),
            "patience": (self.patience is None or self.patience >= 1, ">= 1 or None"),
            "scheduler_interval": (self.scheduler_interval in ("epoch", "step"),
                                   "'epoch' or 'step'"),
            "checkpoint_seconds": (self.checkpoint_seconds >= 0, ">= 0"),
            "keep_checkpoints": (self.keep_checkpoints >= 1, ">= 1"),
        }
        for name, (ok, allowed) in checks.items():
            if not ok:
                raise ValueError(f"{name} must be {allowed}, got {getattr(self, name)!r}")


@dataclass
class FitResult:
    r"""What :meth:`Trainer.fit` returns: one dict per epoch, and how training ended."""

    history: list[dict] = field(default_factory=list)
    steps: int = 0
    best_epoch: int | None = None
    stopped_early: bool = False


def weight_penalty(model: nn.Module, l1: float, l2: float) -> Tensor | float:
    r""":math:`\lambda_1 \sum |w| + \lambda_2 \sum w^2` over parameters with ndim >= 2."""
    weights = [p for p in model.parameters() if p.ndim >= 2]
    penalty: Tensor | float = 0.0
    if l1:
        penalty = penalty + l1 * sum(w.abs().sum() for w in weights)
    if l2:
        penalty = penalty + l2 * sum(w.square().sum() for w in weights)
    return penalty


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
        fingerprint: settings a checkpoint must match to be resumed (JSON-safe dict).
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
        self.on_log = on_log or (lambda line: None)
        self.extra_metrics = extra_metrics
        self.progress = progress
        self.params = [p for p in model.parameters() if p.requires_grad]
        groups: dict[tuple, list[nn.Parameter]] = {}
        for p in self.params:
            groups.setdefault((p.device, p.dtype), []).append(p)
        self._guard_groups = [(ps, torch.zeros(1, device=d), torch.ones(1, device=d))
                              for (d, _), ps in groups.items()]  # NaN/inf guard: params, flag, 1

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

    # ----------------------------------------------------------------- checkpoints
    def _save(self, s: dict) -> None:
        if self.checkpoint_dir is None:
            return
        state = {
            "step": s["step"], "epoch": s["epoch"], "position": s["position"],
            "generator_at_epoch_start": bytes_to_text(s["generator_at_epoch_start"]),
            "epoch_loss_sum": s["epoch_loss_sum"], "epoch_count": s["epoch_count"],
            "history": s["history"], "best_valid": s["best_valid"],
            "best_epoch": s["best_epoch"], "bad_epochs": s["bad_epochs"],
            "rng": rng_states(), "fingerprint": self.fingerprint,
            "scheduler": self.scheduler.state_dict() if self.scheduler else None,
        }
        save_checkpoint(self.checkpoint_dir, s["step"], model=self.model.state_dict(),
                        optimizer=self.optimizer.state_dict(), state=state,
                        best=s["best_weights"], keep=self.config.keep_checkpoints)

    def _fresh_state(self) -> dict:
        return {"step": 0, "epoch": 0, "position": 0,
                "generator_at_epoch_start": self.generator.get_state(),
                "epoch_loss_sum": 0.0, "epoch_count": 0, "history": [],
                "best_valid": math.inf, "best_epoch": None, "bad_epochs": 0,
                "best_weights": None}

    def _restore(self) -> dict:
        checkpoint = latest_checkpoint(self.checkpoint_dir) if self.checkpoint_dir else None
        if checkpoint is None:
            return self._fresh_state()
        check_fingerprint(checkpoint, self.fingerprint)
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(checkpoint.optimizer)
        s = checkpoint.state
        if self.scheduler is not None:
            self.scheduler.load_state_dict(s["scheduler"])
        set_rng_states(s["rng"])
        s["generator_at_epoch_start"] = text_to_bytes(s["generator_at_epoch_start"])
        self.generator.set_state(s["generator_at_epoch_start"])
        s["best_weights"] = checkpoint.best
        for line in s["history"]:
            self.on_log(line)
        return s

    # ----------------------------------------------------------------- the loop
    def _gradients_finite(self) -> bool:
        r"""Whether every gradient is finite: one fused pass per (device, dtype), the kernel
        ``torch.amp.GradScaler`` uses, with scale 1 so the gradients stay as they are."""
        found = 0.0
        for params, flag, one in self._guard_groups:
            flag.zero_()
            grads = [p.grad for p in params if p.grad is not None]
            torch._amp_foreach_non_finite_check_and_unscale_(grads, flag, one)
            found += flag.item()
        return found == 0.0

    def _step(self, xb: Tensor, yb: Tensor, step: int, epoch: int) -> float:
        r"""One update on one batch (the model is in training mode); return the data loss."""
        loss = self.loss_fn(self.model(xb), yb)
        self.optimizer.zero_grad(set_to_none=True)
        c = self.config
        if c.l1 or c.l2:
            (loss + weight_penalty(self.model, c.l1, c.l2)).backward()
        else:
            loss.backward()
        loss_value = loss.item()
        finite_loss = math.isfinite(loss_value)
        if not (finite_loss and self._gradients_finite()):
            raise NonFiniteLossError(
                f"non-finite {'gradient' if finite_loss else 'loss'} at step {step + 1} "
                f"(epoch {epoch + 1}): training stopped before the optimizer step; weights "
                f"are those after step {step}")
        if c.clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(self.params, c.clip_grad_norm)
        self.optimizer.step()
        if self.scheduler is not None and c.scheduler_interval == "step":
            self.scheduler.step()
        return loss_value

    def _end_epoch(self, s: dict, valid: tuple[Tensor, Tensor] | None) -> bool:
        r"""Log the epoch, step the scheduler, update early stopping; True means stop."""
        line = {"epoch": s["epoch"] + 1, "step": s["step"],
                "train_loss": s["epoch_loss_sum"] / s["epoch_count"],
                "lr": self.optimizer.param_groups[0]["lr"]}
        valid_loss = self.evaluate(*valid) if valid is not None else None
        if valid_loss is not None:
            line["valid_loss"] = valid_loss
        if self.extra_metrics is not None:
            line.update(self.extra_metrics(self.model))
        s["history"].append(line)
        self.on_log(line)
        if self.scheduler is not None and self.config.scheduler_interval == "epoch":
            if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                self.scheduler.step(valid_loss if valid_loss is not None else line["train_loss"])
            else:
                self.scheduler.step()
        s["epoch"] += 1
        s["position"], s["epoch_loss_sum"], s["epoch_count"] = 0, 0.0, 0
        s["generator_at_epoch_start"] = self.generator.get_state()
        if self.config.patience is None or valid_loss is None:
            return False
        if valid_loss < s["best_valid"]:
            s["best_valid"], s["best_epoch"], s["bad_epochs"] = valid_loss, s["epoch"], 0
            s["best_weights"] = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return False
        s["bad_epochs"] += 1
        return s["bad_epochs"] >= self.config.patience

    def fit(self, train: tuple[Tensor, Tensor],
            valid: tuple[Tensor, Tensor] | None = None) -> FitResult:
        r"""Train for ``config.epochs`` epochs (or until early stopping), resuming if possible.

        Raises:
            NonFiniteLossError: the loss or a gradient became NaN/inf.
            TrainingInterrupted: a stop was requested; a checkpoint was saved first.
        """
        x, y = train
        n, c = len(x), self.config
        batch_size = n if c.batch_size is None else min(c.batch_size, n)
        s = self._restore()
        stopped_early = bool(s["history"]) and c.patience is not None and \
            s["bad_epochs"] >= c.patience
        per_epoch = math.ceil(n / batch_size)
        bar = tqdm(total=c.epochs * per_epoch, initial=s["step"], disable=not self.progress,
                   leave=False, unit="step")
        last_save = time.monotonic()
        while s["epoch"] < c.epochs and not stopped_early:
            batches = batch_indices(n, batch_size, generator=self.generator)
            self.model.train()  # evaluate() at each epoch's end switches to eval mode
            for i in range(s["position"], len(batches)):
                idx = batches[i]
                loss = self._step(x[idx], y[idx], s["step"], s["epoch"])
                s["step"] += 1
                s["position"] = i + 1
                s["epoch_loss_sum"] += loss * len(idx)
                s["epoch_count"] += len(idx)
                bar.update()
                if stop_requested() and i + 1 < len(batches):
                    self._save(s)
                    raise TrainingInterrupted(f"interrupted at step {s['step']}")
            stopped_early = self._end_epoch(s, valid)
            if stop_requested():
                self._save(s)
                raise TrainingInterrupted(f"interrupted at step {s['step']}")
            if time.monotonic() - last_save >= c.checkpoint_seconds and s["epoch"] < c.epochs:
                self._save(s)
                last_save = time.monotonic()
        bar.close()
        if c.patience is not None and s["best_weights"] is not None:
            self.model.load_state_dict(s["best_weights"])
        return FitResult(history=s["history"], steps=s["step"], best_epoch=s["best_epoch"],
                         stopped_early=stopped_early)
