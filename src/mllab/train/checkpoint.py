r"""Checkpoints: tensors in safetensors, everything else in JSON, a SHA-256 manifest.

A checkpoint is a folder ``step-<N>/`` holding one ``<name>.safetensors`` file per group of
tensors (``model``, ``optimizer``, ... as :func:`mllab.train.loop.run_loop` names them),
``state.json`` (which lists those files) and ``MANIFEST.sha256``. It is written into
``step-<N>.tmp/``, each file fsynced, then renamed: a folder without ``.tmp`` is complete.
Loading checks every file against the manifest and parses tensors with safetensors only:
nothing is ever unpickled, whatever ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` says.

A checkpoint also carries a **fingerprint**: the settings it was trained under, the structure
of what it holds (parameter names, shapes and dtypes, optimizer hyperparameters) and the data
(:func:`tensor_fingerprint`).
:func:`check_fingerprint` refuses to resume from one that differs, naming the first difference.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

MANIFEST = "MANIFEST.sha256"
STATE = "state.json"
_STEP_DIR = re.compile(r"^step-(\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class CheckpointError(ValueError):
    r"""A checkpoint that cannot be trusted: missing, corrupt, or from other settings."""


@dataclass
class Checkpoint:
    r"""What a checkpoint folder holds, as loaded and verified: ``tensors[name]`` is the
    content of ``name.safetensors``; ``state`` is ``state.json``."""

    path: Path
    tensors: dict[str, dict[str, torch.Tensor]]
    state: dict


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def optimizer_to_files(state_dict: dict) -> tuple[dict[str, torch.Tensor], dict]:
    r"""Split ``optimizer.state_dict()`` into tensors (``"<param>.<name>"``) and JSON."""
    tensors, meta = {}, {}
    for index, param_state in state_dict["state"].items():
        for name, value in param_state.items():
            if torch.is_tensor(value):
                tensors[f"{index}.{name}"] = value.detach()  # save_checkpoint copies it
            else:
                meta.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state_dict["param_groups"], "state": meta}


def optimizer_from_files(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    r"""Inverse of :func:`optimizer_to_files`: a dict for ``optimizer.load_state_dict``."""
    state: dict[int, dict] = {int(i): dict(v) for i, v in meta["state"].items()}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(
    directory: Path,
    step: int,
    *,
    tensors: dict[str, dict[str, torch.Tensor]],
    state: dict,
    keep: int = 2,
) -> Path:
    r"""Write ``directory/step-<step>/`` atomically and keep only the newest ``keep`` ones.

    ``tensors[name]`` becomes ``name.safetensors``; ``state`` (JSON values) becomes
    ``state.json``, with the list of tensor files added under ``"files"``.
    """
    for name in tensors:
        if not _NAME.match(name) or name == "state":
            raise ValueError(f"invalid checkpoint file name {name!r}")
    directory.mkdir(parents=True, exist_ok=True)
    final, tmp = directory / f"step-{step}", directory / f"step-{step}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    files = {f"{name}.safetensors": save_tensors(_contiguous(group))
             for name, group in tensors.items()}
    files[STATE] = json.dumps({**state, "files": sorted(files)}, indent=1).encode()
    for name, data in files.items():
        _write(tmp / name, data)
    manifest = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items())
    _write(tmp / MANIFEST, manifest.encode())
    _fsync_dir(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_dir(directory)
    prune_checkpoints(directory, keep)
    return final


def prune_checkpoints(directory: Path, keep: int) -> None:
    r"""Delete all but the newest ``keep`` complete checkpoints in ``directory``."""
    for old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old)


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}


def list_checkpoints(directory: Path) -> list[Path]:
    r"""Complete checkpoint folders in ``directory``, oldest first (``.tmp`` ones ignored)."""
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir()
             if p.is_dir() and (m := _STEP_DIR.match(p.name))]
    return [p for _, p in sorted(found)]


def _read_verified(path: Path) -> dict[str, bytes]:
    manifest = path / MANIFEST
    try:
        lines = manifest.read_text().splitlines()
        expected = dict(reversed(line.split("  ", 1)) for line in lines if line.strip())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"checkpoint manifest {manifest} is missing or unreadable") from e
    if STATE not in expected:
        raise CheckpointError(f"checkpoint manifest {manifest} does not list {STATE}")
    contents = {}
    for name, digest in expected.items():
        file = path / name
        if "/" in name or not file.is_file():
            raise CheckpointError(f"checkpoint file {file} is missing")
        data = file.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise CheckpointError(
                f"checkpoint file {file} is corrupt (sha256 differs from {MANIFEST})")
        contents[name] = data
    return contents


def _parse_tensors(file: Path, data: bytes) -> dict[str, torch.Tensor]:
    try:
        return load_tensors(data)
    except (SafetensorError, ValueError, RuntimeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint file {file} is not a valid safetensors file") from e


def load_checkpoint(path: Path) -> Checkpoint:
    r"""Load and verify one checkpoint folder; raise :class:`CheckpointError` naming the file."""
    contents = _read_verified(path)
    try:
        state = json.loads(contents[STATE])
        if not isinstance(state, dict) or not isinstance(state.get("files"), list):
            raise ValueError("not an object listing its files")
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint file {path / STATE} is not valid JSON") from e
    tensors = {}
    for name in state.pop("files"):
        if name not in contents:
            raise CheckpointError(f"checkpoint manifest {path / MANIFEST} does not list {name}")
        tensors[name.removesuffix(".safetensors")] = _parse_tensors(path / name, contents[name])
    return Checkpoint(path=path, tensors=tensors, state=state)


def latest_checkpoint(directory: Path) -> Checkpoint | None:
    r"""The newest complete checkpoint in ``directory``, verified, or ``None`` if none."""
    found = list_checkpoints(directory)
    return load_checkpoint(found[-1]) if found else None


def tensor_signature(t: torch.Tensor) -> str:
    r"""``"<dtype>[<shape>]"``, e.g. ``"float32[4, 3]"``."""
    return f"{str(t.dtype).removeprefix('torch.')}{list(t.shape)}"


def tensor_fingerprint(t: torch.Tensor) -> str:
    r"""``"<dtype>[<shape>] sha256:<first 16 hex digits>"`` of a tensor's bytes: cheap (about
    1 GB/s) and different for different data, so a checkpoint knows what it was trained on."""
    data = t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
    return f"{tensor_signature(t)} sha256:{hashlib.sha256(data.tobytes()).hexdigest()[:16]}"


def _first_difference(old, new, path: tuple[str, ...] = ()) -> tuple[tuple, object, object] | None:
    r"""The path (the keys), old and new value of the first entry that differs, in the order
    the fingerprint lists them (an optimizer's ``lr`` before the ``initial_lr`` a scheduler
    adds)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if (found := _first_difference(old.get(key), new.get(key), (*path, key))):
                return found
        return None
    return None if old == new else (path, old, new)


_SIGNATURE = re.compile(r"^(\w+)(\[[\d, ]*\])$")


def _is_signature(value: object) -> bool:
    return value is None or (isinstance(value, str) and _SIGNATURE.match(value) is not None)


def _tensor_change(field: str, name: str, old: str | None, new: str | None) -> str:
    r"""``"model differs: 'fc.weight' has shape (16, 8) in the checkpoint, (32, 8) now"``."""
    if old is None:
        return f"{field} differs: {name!r} ({new}) is not in the checkpoint"
    if new is None:
        return f"{field} differs: the checkpoint has {name!r} ({old}), this run has not"
    (dtype_old, shape_old), (dtype_new, shape_new) = (_SIGNATURE.match(v).groups()
                                                      for v in (old, new))
    if dtype_old != dtype_new:
        return f"{field} differs: {name!r} is {old} in the checkpoint, {new} now"
    shape_old, shape_new = (tuple(json.loads(v)) for v in (shape_old, shape_new))
    return f"{field} differs: {name!r} has shape {shape_old} in the checkpoint, {shape_new} now"


def _describe(where: Path, path: tuple[str, ...], old: object, new: object) -> str:
    r"""The refusal in words: a module's tensor, an optimizer's or a scheduler's setting
    (under ``structure.<field>``, see :func:`mllab.train.state.structure`), or any other
    entry."""
    if path[:1] == ("structure",) and len(path) == 3 and _is_signature(old) and _is_signature(new):
        return f"checkpoint {where}: {_tensor_change(path[1], path[2], old, new)}"
    if path[:1] == ("structure",) and len(path) >= 3 and path[2] in ("class", "param_groups",
                                                                    "state"):
        owner, rest = path[1], path[3:]
        if path[2] == "param_groups" and rest:
            owner, rest = f"{owner} param group {rest[0]}", rest[1:]
        key = ".".join(rest) or path[2]
        return (f"checkpoint {where} was taken with {key}={old!r} ({owner}), "
                f"this run has {key}={new!r}")
    key = ".".join(path)
    return f"checkpoint {where} was written with {key}={old!r}, but this run has {key}={new!r}"


def check_fingerprint(checkpoint: Checkpoint, fingerprint: dict) -> None:
    r"""Refuse a checkpoint written under another fingerprint, naming the first entry (a
    setting, an optimizer's ``lr``, a parameter's shape, the data) that differs."""
    saved = checkpoint.state.get("fingerprint", {})
    fingerprint = json.loads(json.dumps(fingerprint))  # tuples become lists, as on disk
    found = _first_difference(saved, fingerprint)
    if found is not None:
        raise CheckpointError(_describe(checkpoint.path, *found))
