r"""The state of a training loop: a dataclass, and how a checkpoint saves and restores it.

An algorithm keeps what changes while it trains in a dataclass derived from
:class:`LoopState`; :func:`mllab.train.run_loop` saves every field with
:func:`encode_field` and restores it with :func:`decode_field`.

What a checkpoint holds, by the type of each field's value:

- ``nn.Module``: its ``state_dict`` in ``<field>.safetensors``, and each submodule's
  train/eval mode;
- ``torch.optim.Optimizer``: its state's tensors in ``<field>.safetensors``, the rest JSON;
- an LR scheduler: its ``state_dict``, JSON;
- ``torch.Generator``: its state, JSON (base64); ``numpy.random.Generator``: its bit
  generator's state, JSON;
- a tensor, or lists, tuples and dicts (string keys) holding tensors and plain values: the
  tensors in ``<field>.safetensors``, the structure JSON;
- ``int``, ``float``, ``str``, ``bool``, ``None``: JSON (exact: a float round-trips through its
  repr; numpy scalars come back as Python numbers).

The global RNGs of python, numpy and torch are saved too (dropout draws from torch's).
Fields made with :func:`transient` are not saved: data, a frozen reference, an environment.

Restoring: modules, optimizers, schedulers and generators load in place, so the objects that
closures and optimizers hold stay the ones they hold; a tensor loads in place when its shape
and dtype are unchanged (a tensor that an optimizer updates stays that tensor), otherwise it
is replaced, like every other value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LRScheduler

from mllab.train.checkpoint import (
    CheckpointError,
    optimizer_from_files,
    optimizer_to_files,
    tensor_signature,
)
from mllab.train.seed import bytes_to_text, text_to_bytes


@dataclass(kw_only=True)
class LoopState:
    r"""Base of every algorithm's state; :func:`run_loop` counts ``step``."""

    step: int = 0
    """Steps taken so far."""


def transient(default: Any = None) -> Any:
    r"""A state field that checkpoints leave out (data, a frozen teacher, an environment)."""
    return field(default=default, metadata={"checkpoint": False})


def saved_fields(state: LoopState) -> list[str]:
    r"""The names of the fields a checkpoint holds (all but the transient ones)."""
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


def encode_field(name: str, value: Any, tensors: dict[str, dict[str, Tensor]]) -> dict:
    r"""Field ``name``'s value as JSON, its tensors moved into ``tensors[name]``."""
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


def decode_field(state: LoopState, name: str, saved: dict, tensors: dict[str, dict]) -> None:
    r"""Restore field ``name`` of ``state`` from what :func:`encode_field` saved."""
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


def _setting(value: Any) -> Any:
    r"""A hyperparameter as JSON: numbers, strings, lists and dicts as they are, a tensor as
    its values, anything else (a function, ...) as its type's name."""
    if torch.is_tensor(value):
        return value.tolist()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_setting(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _setting(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


def _optimizer_settings(optimizer: torch.optim.Optimizer) -> dict:
    r"""The class and each param group's hyperparameters (``lr``, ``betas``, ...), with the
    signatures of the parameters it updates."""
    groups = {str(i): {**{k: _setting(v) for k, v in group.items() if k != "params"},
                       "params": ", ".join(tensor_signature(p) for p in group["params"])}
              for i, group in enumerate(optimizer.param_groups)}
    return {"class": type(optimizer).__name__, "param_groups": groups}


def structure(state: LoopState) -> dict:
    r"""The part of a checkpoint's fingerprint that the state itself gives, taken before the
    first step: every saved field's kind, every module's parameter and buffer names with dtype
    and shape, every optimizer's class and param groups' hyperparameters
    (:func:`_optimizer_settings`), every scheduler's class and initial state.

    Loading a checkpoint's optimizer or scheduler would silently replace a changed ``lr`` (or
    ``step_size``, ...) by the checkpoint's; comparing them first makes the change an error."""
    out: dict[str, Any] = {}
    for name in saved_fields(state):
        value = getattr(state, name)
        kind = _kind(value)
        if kind == "module":
            out[name] = {k: tensor_signature(t) for k, t in value.state_dict().items()}
        elif kind == "optimizer":
            out[name] = _optimizer_settings(value)
        elif kind == "scheduler":
            out[name] = {"class": type(value).__name__, "state": _setting(value.state_dict())}
        else:
            out[name] = kind
    return out


__all__ = ["LoopState", "decode_field", "encode_field", "saved_fields", "structure", "transient"]
