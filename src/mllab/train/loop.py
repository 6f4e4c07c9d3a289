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

What a checkpoint holds, by the type of each field's value:

=====================================  ===================================================
value                                  saved as
=====================================  ===================================================
``nn.Module``                          its ``state_dict`` in ``<field>.safetensors``, and
                                       each submodule's train/eval mode
``torch.optim.Optimizer``              state tensors in ``<field>.safetensors``, the rest JSON
LR scheduler                           its ``state_dict``, JSON
``torch.Generator``                    its state, JSON (base64)
``numpy.random.Generator``             its bit generator's state, JSON
tensor, or lists / tuples / dicts      tensors in ``<field>.safetensors``, the structure JSON
holding tensors and plain values
``int``, ``float``, ``str``, ``bool``,  JSON (exact: floats round-trip through their repr)
``None``
=====================================  ===================================================

The global RNGs of python, numpy and torch are saved too (dropout draws from torch's).
Fields made with :func:`transient` are not saved: data, a frozen reference, an environment.

Restoring: modules, optimizers, schedulers and generators load in place, so the objects that
closures and optimizers hold stay the ones they hold; a tensor loads in place when its shape
and dtype are unchanged (a tensor that an optimizer updates stays that tensor), otherwise it
is replaced, like every other value.

**Environments** that cannot be serialized (gymnasium) follow one rule: the environment is a
:func:`transient` field; ``boundary(state)`` tells the loop where a checkpoint may be taken,
at episode boundaries; and each episode starts with ``env.reset(seed=episode_seed(seed, k))``
for the episode index ``k`` kept in the state. A resumed run therefore restarts the episode
it was in from the same reset, with the same policy and the same generators, and replays it
identically. Periodic checkpoints wait for the next boundary, and so does a stop request.

A checkpoint's fingerprint is the caller's ``fingerprint`` (settings, data) plus the state's
structure (field names and kinds, every module's parameter names, shapes and dtypes, every
optimizer's class); a checkpoint with another fingerprint is refused, naming the difference.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LRScheduler
from tqdm import tqdm

from mllab.config import is_int, require
from mllab.train.checkpoint import (
    CheckpointError,
    check_fingerprint,
    latest_checkpoint,
    optimizer_from_files,
    optimizer_to_files,
    save_checkpoint,
)
from mllab.train.seed import (
    bytes_to_text,
    derive_seed,
    rng_states,
    set_rng_states,
    text_to_bytes,
)
from mllab.train.stop import stop_requested


class NonFiniteLossError(RuntimeError):
    r"""The loss or a gradient became NaN/inf; training stopped before the optimizer step."""


class TrainingInterrupted(Exception):
    r"""SIGINT/SIGTERM arrived; a checkpoint was saved and training stopped."""


@dataclass(kw_only=True)
class LoopState:
    r"""Base of every algorithm's state; :func:`run_loop` counts ``step``."""

    step: int = 0
    """Steps taken so far."""


S = TypeVar("S", bound=LoopState)
Step = Callable[[S], "dict | None"]


def transient(default: Any = None) -> Any:
    r"""A state field that checkpoints leave out (data, a frozen teacher, an environment)."""
    return field(default=default, metadata={"checkpoint": False})


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


# ------------------------------------------------------------------ the NaN/inf guard
class FiniteGradients:
    r"""Whether every gradient of some parameters is finite: one fused pass per (device,
    dtype), the kernel ``torch.amp.GradScaler`` uses, with scale 1 so the gradients stay as
    they are. Built once per set of parameters; calling it costs one sync per group."""

    def __init__(self, params: list[Tensor]) -> None:
        groups: dict[tuple, list[Tensor]] = {}
        for p in params:
            groups.setdefault((p.device, p.dtype), []).append(p)
        self.size = len(params)
        self.groups = [(ps, torch.zeros(1, device=d), torch.ones(1, device=d))
                       for (d, _), ps in groups.items()]

    def __call__(self) -> bool:
        found = 0.0
        for params, flag, one in self.groups:
            grads = [p.grad for p in params if p.grad is not None]
            if grads:
                flag.zero_()
                torch._amp_foreach_non_finite_check_and_unscale_(grads, flag, one)
                found += flag.item()
        return found == 0.0


def _guard(name: str, state: LoopState) -> Callable:
    r"""A pre-step hook for optimizer ``name`` that refuses non-finite gradients."""
    check: FiniteGradients | None = None

    def hook(optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        nonlocal check
        groups = optimizer.param_groups
        if check is None or check.size != sum(len(g["params"]) for g in groups):
            check = FiniteGradients([p for g in groups for p in g["params"]])
        if not check():
            raise NonFiniteLossError(
                f"non-finite gradient for {name!r} at step {state.step + 1}: training stopped "
                f"before the optimizer step; weights are those after step {state.step}")
    return hook


# ------------------------------------------------------------------ saving a state
def _saved_fields(state: LoopState) -> list[str]:
    return [f.name for f in dataclasses.fields(state) if f.metadata.get("checkpoint", True)]


def _pack(value: Any, key: str, tensors: dict[str, Tensor], where: str) -> Any:
    r"""``value`` as JSON, its tensors moved into ``tensors`` under ``key``-based names."""
    if torch.is_tensor(value):
        tensors[key] = value
        return {"__tensor__": key, "device": str(value.device)}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        items = [_pack(v, f"{key}/{i}", tensors, where) for i, v in enumerate(value)]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict) and all(isinstance(k, str) and not k.startswith("__")
                                       for k in value):
        return {k: _pack(v, f"{key}/{k}", tensors, where) for k, v in value.items()}
    raise CheckpointError(f"state field {where!r} holds a {type(value).__name__}, which a "
                          f"checkpoint cannot store; keep tensors, numbers, strings, lists, "
                          f"tuples and dicts with string keys, or make the field transient()")


def _unpack(value: Any, tensors: dict[str, Tensor]) -> Any:
    if isinstance(value, list):
        return [_unpack(v, tensors) for v in value]
    if isinstance(value, dict):
        if "__tensor__" in value:
            t = tensors[value["__tensor__"]]
            return t if value["device"] == "cpu" else t.to(value["device"])
        if "__tuple__" in value:
            return tuple(_unpack(v, tensors) for v in value["__tuple__"])
        return {k: _unpack(v, tensors) for k, v in value.items()}
    return value


def _kind(value: Any) -> str:
    if isinstance(value, nn.Module):
        return "module"
    if isinstance(value, torch.optim.Optimizer):
        return "optimizer"
    if isinstance(value, LRScheduler):
        return "scheduler"
    if isinstance(value, torch.Generator):
        return "torch_generator"
    if isinstance(value, np.random.Generator):
        return "numpy_generator"
    return "value"


def _encode(name: str, value: Any, tensors: dict[str, dict[str, Tensor]]) -> dict:
    kind = _kind(value)
    if kind == "module":
        tensors[name] = dict(value.state_dict())
        return {"kind": kind, "training": {n: m.training for n, m in value.named_modules()}}
    if kind == "optimizer":
        tensors[name], meta = optimizer_to_files(value.state_dict())
        return {"kind": kind, "state": meta}
    if kind == "scheduler":
        return {"kind": kind, "state": value.state_dict()}
    if kind == "torch_generator":
        return {"kind": kind, "state": bytes_to_text(value.get_state())}
    if kind == "numpy_generator":
        return {"kind": kind, "state": value.bit_generator.state}
    group: dict[str, Tensor] = {}
    packed = _pack(value, "value", group, name)
    if group:
        tensors[name] = group
    return {"kind": kind, "value": packed}


def _decode(state: LoopState, name: str, saved: dict, tensors: dict[str, dict]) -> None:
    value, kind = getattr(state, name), saved["kind"]
    if _kind(value) != kind:
        raise CheckpointError(f"state field {name!r} holds a {_kind(value)} but the "
                              f"checkpoint has a {kind}")
    group = tensors.get(name, {})
    if kind == "module":
        value.load_state_dict(group)
        for n, m in value.named_modules():
            m.train(saved["training"].get(n, m.training))
    elif kind == "optimizer":
        value.load_state_dict(optimizer_from_files(group, saved["state"]))
    elif kind == "scheduler":
        value.load_state_dict(saved["state"])
    elif kind == "torch_generator":
        value.set_state(text_to_bytes(saved["state"]))
    elif kind == "numpy_generator":
        value.bit_generator.state = saved["state"]
    else:
        new = _unpack(saved["value"], group)
        if torch.is_tensor(value) and torch.is_tensor(new) and value.shape == new.shape \
                and value.dtype == new.dtype:
            with torch.no_grad():
                value.copy_(new)
        else:
            setattr(state, name, new)


def structure(state: LoopState) -> dict:
    r"""The part of a checkpoint's fingerprint that the state itself gives: every saved field's
    kind, every module's parameter and buffer names with dtype and shape, optimizer classes."""
    out = {}
    for name in _saved_fields(state):
        value = getattr(state, name)
        kind = _kind(value)
        if kind == "module":
            out[name] = {k: f"{str(t.dtype).removeprefix('torch.')}{list(t.shape)}"
                         for k, t in value.state_dict().items()}
        elif kind in ("optimizer", "scheduler"):
            out[name] = f"{kind} {type(value).__name__}"
        else:
            out[name] = kind
    return out


# ------------------------------------------------------------------ the loop
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
        return {n: v for n in _saved_fields(self.state)
                if isinstance(v := getattr(self.state, n), nn.Module)}

    def save(self) -> None:
        if self.checkpoint_dir is None or self.saved_at == self.state.step:
            return
        tensors: dict[str, dict[str, Tensor]] = {}
        fields = {n: _encode(n, getattr(self.state, n), tensors) for n in _saved_fields(self.state)}
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
        for n in _saved_fields(self.state):
            _decode(self.state, n, saved["fields"][n], checkpoint.tensors)
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
    hooks = [v.register_step_pre_hook(_guard(n, state)) for n in _saved_fields(state)
             if isinstance(v := getattr(state, n), torch.optim.Optimizer)]
    bar = tqdm(total=config.steps, initial=state.step, disable=not progress, leave=False,
               unit="step")
    last_save = time.monotonic()
    try:
        while state.step < config.steps and not loop.stopped_early:
            if stop_requested() and at_boundary(state):
                loop.save()
                raise TrainingInterrupted(f"interrupted at step {state.step}")
            metrics = step(state)
            state.step += 1
            bar.update()
            if metrics is not None:
                on_log(loop.log(metrics))
            if at_boundary(state) and time.monotonic() - last_save >= config.checkpoint_seconds:
                loop.save()
                last_save = time.monotonic()
        loop.save()
    finally:
        bar.close()
        for hook in hooks:
            hook.remove()
    loop.restore_best()
    return LoopResult(history=loop.history, steps=state.step, best=loop.best,
                      stopped_early=loop.stopped_early)


__all__ = [
    "FiniteGradients", "LoopConfig", "LoopResult", "LoopState", "NonFiniteLossError",
    "TrainingInterrupted", "episode_seed", "run_loop", "structure", "transient",
]
