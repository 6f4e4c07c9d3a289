r"""Checkpoints: tensors in safetensors, everything else in JSON, a SHA-256 manifest.

A checkpoint is a folder ``step-<N>/`` holding ``model.safetensors``,
``optimizer.safetensors``, ``state.json`` (and ``best.safetensors`` when early stopping
keeps the best weights) and ``MANIFEST.sha256``. It is written into ``step-<N>.tmp/``, each
file fsynced, then renamed: a folder without ``.tmp`` is complete. Loading checks every
file against the manifest and parses tensors with safetensors only: nothing is ever
unpickled, whatever ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` says.
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
_STEP_DIR = re.compile(r"^step-(\d+)$")


class CheckpointError(ValueError):
    r"""A checkpoint that cannot be trusted: missing, corrupt, or from other settings."""


@dataclass
class Checkpoint:
    r"""What a checkpoint folder holds, as loaded and verified."""

    path: Path
    model: dict[str, torch.Tensor]
    optimizer: dict
    state: dict
    best: dict[str, torch.Tensor] | None = None


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
                tensors[f"{index}.{name}"] = value.detach().clone().contiguous()
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
    model: dict[str, torch.Tensor],
    optimizer: dict,
    state: dict,
    best: dict[str, torch.Tensor] | None = None,
    keep: int = 2,
) -> Path:
    r"""Write ``directory/step-<step>/`` atomically and keep only the newest ``keep`` ones."""
    directory.mkdir(parents=True, exist_ok=True)
    final, tmp = directory / f"step-{step}", directory / f"step-{step}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    opt_tensors, opt_meta = optimizer_to_files(optimizer)
    files = {
        "model.safetensors": save_tensors(_contiguous(model)),
        "optimizer.safetensors": save_tensors(opt_tensors),
        "state.json": json.dumps({**state, "optimizer": opt_meta}, indent=1).encode(),
    }
    if best is not None:
        files["best.safetensors"] = save_tensors(_contiguous(best))
    for name, data in files.items():
        _write(tmp / name, data)
    manifest = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items())
    _write(tmp / MANIFEST, manifest.encode())
    _fsync_dir(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_dir(directory)
    for old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old)
    return final


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone().contiguous() for k, v in tensors.items()}


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
    for name in ("model.safetensors", "optimizer.safetensors", "state.json"):
        if name not in expected:
            raise CheckpointError(f"checkpoint manifest {manifest} does not list {name}")
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
        state = json.loads(contents["state.json"])
        if not isinstance(state, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint file {path / 'state.json'} is not valid JSON") from e
    model = _parse_tensors(path / "model.safetensors", contents["model.safetensors"])
    opt_tensors = _parse_tensors(path / "optimizer.safetensors", contents["optimizer.safetensors"])
    best = None
    if "best.safetensors" in contents:
        best = _parse_tensors(path / "best.safetensors", contents["best.safetensors"])
    optimizer = optimizer_from_files(opt_tensors, state.pop("optimizer"))
    return Checkpoint(path=path, model=model, optimizer=optimizer, state=state, best=best)


def latest_checkpoint(directory: Path) -> Checkpoint | None:
    r"""The newest complete checkpoint in ``directory``, verified, or ``None`` if none."""
    found = list_checkpoints(directory)
    return load_checkpoint(found[-1]) if found else None


def check_fingerprint(checkpoint: Checkpoint, fingerprint: dict) -> None:
    r"""Refuse a checkpoint written under other settings, naming the first one that differs."""
    saved = checkpoint.state.get("fingerprint", {})
    fingerprint = json.loads(json.dumps(fingerprint))  # tuples become lists, as on disk
    for key in sorted(set(saved) | set(fingerprint)):
        old, new = saved.get(key), fingerprint.get(key)
        if old != new:
            raise CheckpointError(
                f"checkpoint {checkpoint.path} was written with {key}={old!r}, "
                f"but this run has {key}={new!r}")
