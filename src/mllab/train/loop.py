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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch
from torch import Tensor, nn
from tqdm import tqdm

from mllab.config import is_int, require
from mllab.train.checkpoint import (
    check_fingerprint,
    latest_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
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
        self.fingerprint = {**fingerprint, "structure": structure(state)}
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
        if self.checkpoint_dir is None or self.saved_at == self.state.step:
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
                        state={"fingerprint": self.fingerprint, "rng": rng_states(),
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
        set_rng_states(saved["rng"])
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
        on_log: called with every logged line, also with the lines replayed on resume.
        progress: show a tqdm bar.

    Raises:
        NonFiniteLossError: an optimizer of the state was about to step with a NaN/inf
            gradient (or the step raised it).
        TrainingInterrupted: a stop was requested; a checkpoint was saved first.
        CheckpointError: the newest checkpoint is corrupt or has another fingerprint.
    """
    loop = _Loop(state, config, checkpoint_dir, fingerprint or {})
    on_log = on_log or (lambda line: None)
    if loop.restore():
        for line in loop.history:
            on_log(line)
    at_boundary = boundary or (lambda s: True)
    hooks = [v.register_step_pre_hook(finite_gradients_hook(n, state)) for n in saved_fields(state)
             if isinstance(v := getattr(state, n), torch.optim.Optimizer)]
    bar = tqdm(total=config.steps, initial=state.step, leave=False, unit="step") if progress \
        else None
    last_save = time.monotonic()
    try:
        while state.step < config.steps and not loop.stopped_early:
            if stop_requested() and at_boundary(state):
                loop.save()
                stop_answered()
                raise TrainingInterrupted(f"interrupted at step {state.step}")
            metrics = step(state)
            state.step += 1
            if bar is not None:
                bar.update()
            if metrics is not None:
                on_log(loop.log(metrics))
            if at_boundary(state) and time.monotonic() - last_save >= config.checkpoint_seconds:
                loop.save()
                last_save = time.monotonic()
        loop.save()
        if checkpoint_dir is not None:  # the final state is all a finished loop needs
            prune_checkpoints(checkpoint_dir, 1)
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
