"""Checkpoints: atomic layout, round trip, and refusal of anything that cannot be trusted."""

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mllab.train import CheckpointError, latest_checkpoint, list_checkpoints, save_checkpoint
from mllab.train.checkpoint import (
    MANIFEST,
    check_fingerprint,
    load_checkpoint,
    optimizer_from_files,
    optimizer_to_files,
    tensor_fingerprint,
)


def _adam_state() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(8, 3)).square().mean().backward()
        opt.step()
    return model, opt


def _save(directory: Path, step: int = 3, **state) -> Path:
    model, opt = _adam_state()
    opt_tensors, opt_meta = optimizer_to_files(opt.state_dict())
    return save_checkpoint(directory, step,
                           tensors={"model": model.state_dict(), "optimizer": opt_tensors},
                           state={"step": step, "optimizer": opt_meta, **state})


def test_round_trip_restores_model_and_optimizer_exactly(tmp_path):
    model, opt = _adam_state()
    path = _save(tmp_path, 3, fingerprint={"lr": 0.1})
    assert path.name == "step-3"
    assert sorted(p.name for p in path.iterdir()) == sorted(
        ["model.safetensors", "optimizer.safetensors", "state.json", MANIFEST])
    ck = load_checkpoint(path)
    assert sorted(ck.tensors) == ["model", "optimizer"]
    for k, v in model.state_dict().items():
        assert torch.equal(ck.tensors["model"][k], v)
    model2, _ = _adam_state()
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    opt2.load_state_dict(optimizer_from_files(ck.tensors["optimizer"], ck.state["optimizer"]))
    assert opt2.param_groups[0]["lr"] == 0.1
    for p, p2 in zip(model.parameters(), model2.parameters(), strict=True):
        for name in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(opt.state[p][name], opt2.state[p2][name])
    assert ck.state["step"] == 3


def test_keeps_newest_and_ignores_unfinished_tmp(tmp_path):
    for step in (1, 2, 3, 4):
        _save(tmp_path, step)
    (tmp_path / "step-9.tmp").mkdir()  # a write killed half-way
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-3", "step-4"]
    assert latest_checkpoint(tmp_path).state["step"] == 4
    assert latest_checkpoint(tmp_path / "none") is None


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage", "flip"])
def test_damaged_file_is_refused_naming_it(tmp_path, damage):
    path = _save(tmp_path)
    file = path / "model.safetensors"
    data = file.read_bytes()
    new = {"truncate": data[: len(data) // 2], "empty": b"", "garbage": os.urandom(len(data)),
           "flip": data[:-5] + bytes([data[-5] ^ 0x01]) + data[-4:]}[damage]
    file.write_bytes(new)
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_checkpoint(path)


def test_missing_manifest_or_file_is_refused(tmp_path):
    path = _save(tmp_path)
    (path / "optimizer.safetensors").unlink()
    with pytest.raises(CheckpointError, match="optimizer.safetensors is missing"):
        load_checkpoint(path)
    (path / MANIFEST).unlink()
    with pytest.raises(CheckpointError, match="manifest"):
        load_checkpoint(path)


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _plant_pickle(path: Path, marker: Path) -> None:
    """Replace model.safetensors with a code-carrying pickle and fix up the manifest, so
    only the format check stands between the file and execution."""
    import hashlib

    payload = pickle.dumps({"weight": _Evil(str(marker))})
    (path / "model.safetensors").write_bytes(payload)
    lines = []
    for line in (path / MANIFEST).read_text().splitlines():
        digest, name = line.split("  ", 1)
        if name == "model.safetensors":
            digest = hashlib.sha256(payload).hexdigest()
        lines.append(f"{digest}  {name}")
    (path / MANIFEST).write_text("\n".join(lines) + "\n")


def test_malicious_pickle_is_refused_and_never_executed(tmp_path):
    path = _save(tmp_path / "ck")
    marker = tmp_path / "pwned"
    _plant_pickle(path, marker)
    code = (f"import sys; from pathlib import Path; from mllab.train.checkpoint import "
            f"load_checkpoint, CheckpointError\ntry:\n    load_checkpoint(Path({str(path)!r}))\n"
            f"except CheckpointError as e:\n    print(e); sys.exit(3)\n")
    env = {**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "model.safetensors is not a valid safetensors file" in done.stdout
    assert not marker.exists()


def test_fingerprint_mismatch_names_the_setting(tmp_path):
    ck = load_checkpoint(_save(tmp_path, fingerprint={"lr": 0.1, "epochs": 5}))
    check_fingerprint(ck, {"lr": 0.1, "epochs": 5})
    with pytest.raises(CheckpointError, match=r"lr=0.1, but this run has lr=0.2"):
        check_fingerprint(ck, {"lr": 0.2, "epochs": 5})


def test_fingerprint_mismatch_names_the_nested_entry(tmp_path):
    x = torch.arange(12.0).reshape(6, 2)
    fp = {"data": {"x": tensor_fingerprint(x)}, "structure": {"model": {"w": "float32[1, 2]"}}}
    ck = load_checkpoint(_save(tmp_path, fingerprint=fp))
    with pytest.raises(CheckpointError, match=r"with data\.x='float32\[6, 2\] sha256:"):
        check_fingerprint(ck, {**fp, "data": {"x": tensor_fingerprint(x + 1)}})

    def model(entries):
        return {**fp, "structure": {"model": entries}}

    for entries, message in [
        ({"w": "float32[1, 3]"}, "'w' has shape (1, 2) in the checkpoint, (1, 3) now"),
        ({"w": "float64[1, 2]"}, "'w' is float32[1, 2] in the checkpoint, float64[1, 2] now"),
        ({"w": "float32[1, 2]", "b": "float32[1]"}, "'b' (float32[1]) is not in the checkpoint"),
        ({}, "the checkpoint has 'w' (float32[1, 2]), this run has not"),
    ]:
        with pytest.raises(CheckpointError, match=r": model differs: " + re.escape(message)):
            check_fingerprint(ck, model(entries))


def test_fingerprint_mismatch_names_the_optimizer_setting(tmp_path):
    adam = {"class": "Adam", "param_groups": {"0": {"lr": 0.1, "betas": [0.9, 0.999],
                                                    "params": "float32[4, 3]"}}}
    ck = load_checkpoint(_save(tmp_path, fingerprint={"structure": {"optimizer": adam}}))

    def changed(**group):
        groups = {"0": {**adam["param_groups"]["0"], **group}}
        return {"structure": {"optimizer": {**adam, "param_groups": groups}}}

    check_fingerprint(ck, changed())
    with pytest.raises(CheckpointError, match=r"step-3 was taken with lr=0.1 \(optimizer param "
                                              r"group 0\), this run has lr=0.01$"):
        check_fingerprint(ck, changed(lr=0.01))
    with pytest.raises(CheckpointError, match=r"with betas=\[0.9, 0.999\] \(optimizer param "
                                              r"group 0\), this run has betas=\[0.8, 0.999\]"):
        check_fingerprint(ck, changed(betas=(0.8, 0.999)))
    with pytest.raises(CheckpointError, match=r"with class='Adam' \(optimizer\), this run has "
                                              r"class='SGD'"):
        check_fingerprint(ck, {"structure": {"optimizer": {**adam, "class": "SGD"}}})


def test_tensor_fingerprint_sees_values_dtype_and_shape():
    x = torch.arange(6.0)
    assert tensor_fingerprint(x) == tensor_fingerprint(x.clone())
    assert tensor_fingerprint(x).startswith("float32[6] sha256:")
    assert len({tensor_fingerprint(v) for v in (x, x.double(), x.reshape(2, 3), x.flip(0),
                                                x[::2], torch.arange(6))}) == 6


def test_state_json_that_is_not_json_is_refused(tmp_path):
    import hashlib

    path = _save(tmp_path)
    (path / "state.json").write_bytes(b"{not json")
    manifest = (path / MANIFEST).read_text().splitlines()
    fixed = [f"{hashlib.sha256(b'{not json').hexdigest()}  state.json"
             if line.endswith("state.json") else line for line in manifest]
    (path / MANIFEST).write_text("\n".join(fixed) + "\n")
    with pytest.raises(CheckpointError, match="state.json is not valid JSON"):
        load_checkpoint(path)
