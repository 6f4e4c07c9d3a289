r"""The general training loop: a state dataclass, a plain ``step`` function, exact resume.

Every kind of training in the course is a loop of steps: a supervised update on a batch, a
GAN's alternating updates of D and G, a DDPM step that draws its own :math:`t` and
:math:`\epsilon`, an RL episode, a MAML meta-update with its inner loop. An algorithm here is

- a **state**: a dataclass derived from :class:`LoopState` holding everything that changes
  while training (modules, optimizers, schedulers, generators, tensors, plain values);
- a **step**: ``step(state) -> dict | None``, one step of the algorithm, free of checkpoint
  code; it returns the metrics to log (or ``None``).

:func:`run_loop` owns everything else: it counts ``state.step``, refuses an optimizer step
whose gradients are NaN/inf (a pre-step hook on every optimizer of the state), logs the
returned metrics, stops early where asked, takes checkpoints, answers SIGINT/SIGTERM with a
checkpoint and :class:`TrainingInterrupted`, and resumes from the newest checkpoint so that a
run killed at any moment (SIGKILL included) ends bitwise identical to one never interrupted.

**Environments** that cannot be serialized (gymnasium) follow one rule: the environment is a
:func:`transient` field; ``boundary(state)`` tells the loop where a checkpoint may be taken,
at episode boundaries; and each episode starts with ``env.reset(seed=episode_seed(seed, k))``
for the episode index ``k`` kept in the state. A resumed run therefore restarts the episode
it was in from the same reset, with the same policy and the same generators, and replays it
identically. Periodic checkpoints wait for the next boundary, and so does a stop request.

A checkpoint's fingerprint is the caller's ``fingerprint`` (settings, data) plus the state's
structure (field names and kinds, every module's parameter names, shapes and dtypes, every
optimizer's class and param groups' hyperparameters, every scheduler's class and initial
state), taken before the first step; a checkpoint with another fingerprint is refused, naming
the difference (``lr=0.1`` then, ``lr=0.01`` now; a parameter's shape), rather than loaded
over the new settings.

**Several processes** (a ``torch.distributed`` process group of :math:`W > 1` ranks, see
:mod:`mllab.train.distributed`): every rank runs the same loop on the same state (DDP keeps
the modules and optimizers equal) and

- restores from the newest checkpoint in the same folder, then all ranks check that they
  loaded the same step (one all-reduce, which is also the barrier before rank 0 may write);
- at every step where a checkpoint may be taken (``boundary``), agrees with the others on two
  flags with one small all-reduce (MAX): "a stop was requested" (SIGINT/SIGTERM on any rank)
  and "a periodic checkpoint is due" (by any rank's clock), so all ranks checkpoint and stop
  at the same step;
- takes a checkpoint together: each rank's global RNG states (python, numpy, torch; dropout
  draws differ per rank) are gathered to rank 0, which alone writes the checkpoint (with
  ``rng_ranks``, one entry per rank) and prunes old ones; on resume rank :math:`r` restores
  entry :math:`r`. The rest of the state is rank 0's, the same on every rank.

The world size is part of the fingerprint: a checkpoint of 2 ranks is refused by 1.
With one process nothing of this runs: no collective, no extra work per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import Tensor, nn
from tqdm import tqdm

from mllab.config import is_int, require
from mllab.train.checkpoint import (
    CheckpointError,
    check_fingerprint,
    latest_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from mllab.train.distributed import collective_device, rank, world_size
from mllab.train.guard import NonFiniteLossError, finite_gradients_hook
from mllab.train.seed import derive_seed, rng_states, set_rng_states
from mllab.train.state import (
    LoopState,
    decode_field,
    encode_field,
    saved_fields,
    structure,
    transient,
)
from mllab.train.stop import stop_answered, stop_requested


class TrainingInterrupted(Exception):
    r"""SIGINT/SIGTERM arrived; a checkpoint was saved and training stopped."""


S = TypeVar("S", bound=LoopState)
Step = Callable[[S], "dict | None"]
"""One step of an algorithm: ``step(state)`` returns the metrics to log, or ``None``."""


def episode_seed(seed: int, episode: int) -> int:
    r"""The reset seed of episode ``episode`` of a run seeded with ``seed``."""
    return derive_seed(seed, f"episode-{episode}")


@dataclass
class LoopConfig:
    r"""How long to loop, how often to checkpoint, when to stop early; validated."""

    steps: int
    """Steps to take in all (>= 0)."""
    checkpoint_seconds: float = 5.0
    """Least wall time between periodic checkpoints (>= 0; 0 = after every step)."""
    keep_checkpoints: int = 2
    """How many of the newest checkpoints to keep (>= 1)."""
    patience: int | None = None
    """Early stopping: stop after this many logged values of ``monitor`` without a new
    lowest one, and restore the modules as they were at the lowest (>= 1); None disables."""
    monitor: str = "valid_loss"
    """The logged metric early stopping watches; lower is better."""

    def __post_init__(self) -> None:
        require(is_int(self.steps) and self.steps >= 0, "steps", "an integer >= 0", self.steps)
        require(self.checkpoint_seconds >= 0, "checkpoint_seconds", ">= 0",
                self.checkpoint_seconds)
        require(is_int(self.keep_checkpoints) and self.keep_checkpoints >= 1,
                "keep_checkpoints", "an integer >= 1", self.keep_checkpoints)
        require(self.patience is None or (is_int(self.patience) and self.patience >= 1),
                "patience", "an integer >= 1 or None", self.patience)


@dataclass
class LoopResult:
    r"""What :func:`run_loop` returns: every logged line, how many steps, how it ended."""

    history: list[dict]
    steps: int
    best: dict | None = None
    """The logged line with the lowest ``monitor`` value (early stopping only)."""
    stopped_early: bool = False


class _Loop:
    r"""One call of :func:`run_loop`: its bookkeeping, checkpoints and early stopping."""

    def __init__(self, state: LoopState, config: LoopConfig, checkpoint_dir: Path | None,
                 fingerprint: dict) -> None:
        self.state, self.config, self.checkpoint_dir = state, config, checkpoint_dir
        self.world, self.rank = world_size(), rank()
        self.fingerprint = {**fingerprint, "structure": structure(state),
                            "world_size": self.world}
        self.history: list[dict] = []
        self.best: dict | None = None
        self.best_modules: dict[str, dict[str, Tensor]] | None = None
        self.bad = 0
        self.stopped_early = False
        self.saved_at: int | None = None

    def modules(self) -> dict[str, nn.Module]:
        return {n: v for n in saved_fields(self.state)
                if isinstance(v := getattr(self.state, n), nn.Module)}

    def save(self) -> None:
        r"""Take a checkpoint (every rank calls it; rank 0 writes it)."""
        if self.checkpoint_dir is None or self.saved_at == self.state.step:
            return
        rng, ranks = rng_states(), None
        if self.world > 1:
            ranks = [None] * self.world if self.rank == 0 else None
            dist.gather_object(rng, ranks, dst=0)
            if self.rank != 0:
                self.saved_at = self.state.step
                return
        tensors: dict[str, dict[str, Tensor]] = {}
        fields = {n: encode_field(n, getattr(self.state, n), tensors)
                  for n in saved_fields(self.state)}
        for n, group in (self.best_modules or {}).items():
            tensors[f"best-{n}"] = group
        loop = {"history": self.history, "best": self.best, "bad": self.bad,
                "stopped_early": self.stopped_early,
                "best_modules": sorted(self.best_modules or {})}
        save_checkpoint(self.checkpoint_dir, self.state.step, tensors=tensors,
                        state={"fingerprint": self.fingerprint, "rng": rng,
                               **({"rng_ranks": ranks} if ranks else {}),
                               "fields": fields, "loop": loop},
                        keep=self.config.keep_checkpoints)
        self.saved_at = self.state.step

    def restore(self) -> bool:
        r"""Load the newest checkpoint, if any; return whether one was loaded."""
        checkpoint = latest_checkpoint(self.checkpoint_dir) if self.checkpoint_dir else None
        if checkpoint is None:
            return False
        check_fingerprint(checkpoint, self.fingerprint)
        saved = checkpoint.state
        for n in saved_fields(self.state):
            decode_field(self.state, n, saved["fields"][n], checkpoint.tensors)
        set_rng_states(saved["rng_ranks"][self.rank] if self.world > 1 else saved["rng"])
        loop = saved["loop"]
        self.history, self.best, self.bad = loop["history"], loop["best"], loop["bad"]
        self.stopped_early = loop["stopped_early"]
        if loop["best_modules"]:
            self.best_modules = {n: checkpoint.tensors[f"best-{n}"] for n in loop["best_modules"]}
        self.saved_at = self.state.step
        return True

    def log(self, metrics: dict) -> dict:
        r"""Record one line; update early stopping; return the line."""
        line = {"step": self.state.step, **metrics}
        self.history.append(line)
        c = self.config
        value = line.get(c.monitor)
        if c.patience is not None and value is not None:
            if self.best is None or value < self.best[c.monitor]:
                self.best, self.bad = line, 0
                self.best_modules = {n: {k: v.detach().clone() for k, v in m.state_dict().items()}
                                     for n, m in self.modules().items()}
            else:
                self.bad += 1
                self.stopped_early = self.bad >= c.patience
        return line

    def agree(self, *flags: bool) -> list[bool]:
        r"""Each flag, true if it is true on any rank (one all-reduce, MAX)."""
        t = torch.tensor([float(f) for f in flags], device=collective_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return [bool(v) for v in t.tolist()]

    def same_step(self) -> None:
        r"""Check that every rank holds the same step (and wait for them all)."""
        t = torch.tensor([self.state.step, -self.state.step], dtype=torch.float64,
                         device=collective_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        if t[0] != -t[1]:
            raise CheckpointError(
                f"the ranks resumed at different steps ({-int(t[1])} to {int(t[0])}): "
                f"{self.checkpoint_dir} must be one folder that every rank sees")

    def finish(self) -> None:
        r"""Keep the final checkpoint only (rank 0), then wait for every rank."""
        if self.checkpoint_dir is not None and self.rank == 0:
            prune_checkpoints(self.checkpoint_dir, 1)
        self.wait_all()

    def wait_all(self) -> None:
        if self.world > 1:
            dist.barrier()  # a rank goes on once rank 0's checkpoint is on disk

    def restore_best(self) -> None:
        if self.config.patience is not None and self.best_modules is not None:
            for n, m in self.modules().items():
                m.load_state_dict(self.best_modules[n])


def run_loop(
    step: Step,
    state: S,
    config: LoopConfig,
    *,
    checkpoint_dir: Path | None = None,
    fingerprint: dict | None = None,
    boundary: Callable[[S], bool] | None = None,
    on_log: Callable[[dict], None] | None = None,
    progress: bool = False,
) -> LoopResult:
    r"""Call ``step(state)`` until ``state.step == config.steps`` (or early stopping).

    Args:
        step: one step of the algorithm; returns the metrics to log, or ``None``.
        state: the algorithm's state; restored from the newest checkpoint in
            ``checkpoint_dir`` if there is one.
        config: steps, checkpoint cadence, early stopping.
        checkpoint_dir: where checkpoints go; ``None`` takes none (and resumes from none).
        fingerprint: JSON values a checkpoint must match (settings, data fingerprints).
        boundary: whether a checkpoint may be taken after the step just taken (episode
            ends); ``None``: after every step.
        on_log: called with every logged line, also with the lines replayed on resume
            (on rank 0 only when several processes train).
        progress: show a tqdm bar (on rank 0 only).

    Raises:
        NonFiniteLossError: an optimizer of the state was about to step with a NaN/inf
            gradient (or the step raised it).
        TrainingInterrupted: a stop was requested; a checkpoint was saved first.
        CheckpointError: the newest checkpoint is corrupt or has another fingerprint
            (another world size included), or the ranks resumed at different steps.
    """
    loop = _Loop(state, config, checkpoint_dir, fingerprint or {})
    if loop.rank != 0:  # rank 0 logs and shows progress for all
        on_log, progress = None, False
    on_log = on_log or (lambda line: None)
    if loop.restore():
        for line in loop.history:
            on_log(line)
    distributed = loop.world > 1
    if distributed:
        loop.same_step()
    at_boundary = boundary or (lambda s: True)
    hooks = [v.register_step_pre_hook(finite_gradients_hook(n, state)) for n in saved_fields(state)
             if isinstance(v := getattr(state, n), torch.optim.Optimizer)]
    bar = tqdm(total=config.steps, initial=state.step, leave=False, unit="step") if progress \
        else None
    last_save = time.monotonic()
    try:
        while state.step < config.steps and not loop.stopped_early:
            if not distributed and stop_requested() and at_boundary(state):
                loop.save()
                stop_answered()
                raise TrainingInterrupted(f"interrupted at step {state.step}")
            metrics = step(state)
            state.step += 1
            if bar is not None:
                bar.update()
            if metrics is not None:
                on_log(loop.log(metrics))
            if not at_boundary(state):
                continue
            due = time.monotonic() - last_save >= config.checkpoint_seconds
            if distributed:  # every rank checkpoints and stops at the same step
                stop, due = loop.agree(stop_requested(), due)
                if stop and state.step < config.steps and not loop.stopped_early:
                    loop.save()
                    loop.wait_all()
                    stop_answered()
                    raise TrainingInterrupted(f"interrupted at step {state.step}")
            if due:
                loop.save()
                last_save = time.monotonic()
        loop.save()
        loop.finish()  # the final state is all a finished loop needs
    finally:
        if bar is not None:
            bar.close()
        for hook in hooks:
            hook.remove()
    loop.restore_best()
    return LoopResult(history=loop.history, steps=state.step, best=loop.best,
                      stopped_early=loop.stopped_early)


__all__ = [
    "LoopConfig", "LoopResult", "LoopState", "NonFiniteLossError", "Step", "TrainingInterrupted",
    "episode_seed", "run_loop", "transient",
]
