"""One harness for every step function's "killed with SIGKILL and resumed, bitwise identical"
test: a *run file* defines ``run() -> (state, step)`` (a fresh state and the step function for
:func:`mllab.train.run_loop`), and ``boundary`` (where a checkpoint may be taken) if not
after every step; :func:`assert_resume_is_bitwise` trains it uninterrupted in this
process, then in a subprocess that it kills after a third of the steps, resumes it there, and
compares every saved field of the two final states (tensors bitwise, the rest as JSON) and the
logged lines.

Run as a script: ``python resume_runs.py RUN_FILE DIR STEPS`` trains into ``DIR/checkpoints``
(a checkpoint after every step), resuming from there, and writes the final state to
``DIR/final.safetensors`` and ``DIR/final.json``; ``RESUME_RUNS_SLEEP`` (seconds) slows each
step down so that the test can kill it half-way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from mllab.train import LoopConfig, latest_checkpoint, list_checkpoints, run_loop
from mllab.train.state import encode_field, saved_fields

SCRIPT = Path(__file__)


def _load(run_file: Path):
    spec = importlib.util.spec_from_file_location(run_file.stem, run_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(run_file: Path, directory: Path, steps: int, *, sleep: float = 0.0) -> None:
    module = _load(run_file)
    state, step = module.run()

    def slow_step(s):
        time.sleep(sleep)
        return step(s)

    result = run_loop(slow_step if sleep else step, state,
                      LoopConfig(steps=steps, checkpoint_seconds=0, keep_checkpoints=3),
                      checkpoint_dir=directory / "checkpoints", fingerprint={"run": run_file.stem},
                      boundary=getattr(module, "boundary", None))
    tensors: dict[str, dict[str, torch.Tensor]] = {}
    meta = {name: encode_field(name, getattr(state, name), tensors) for name in saved_fields(state)}
    save_file({f"{name}/{key}": value.detach().clone().contiguous()
               for name, group in tensors.items() for key, value in group.items()},
              directory / "final.safetensors")
    (directory / "final.json").write_text(json.dumps({"fields": meta, "history": result.history}))


def _final(directory: Path) -> tuple[dict, dict]:
    return (load_file(directory / "final.safetensors"),
            json.loads((directory / "final.json").read_text()))


def assert_resume_is_bitwise(run_file: Path, tmp_path: Path, steps: int) -> None:
    r"""Kill a run of ``run_file`` with SIGKILL after a third of ``steps``, resume it, and
    assert it ends exactly where an uninterrupted run ends."""
    train(run_file, tmp_path / "reference", steps)
    reference, reference_meta = _final(tmp_path / "reference")
    run = tmp_path / "killed"
    command = [sys.executable, str(SCRIPT), str(run_file), str(run), str(steps)]
    proc = subprocess.Popen(command, env={**os.environ, "RESUME_RUNS_SLEEP": "0.05"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not [p for p in list_checkpoints(run / "checkpoints")
               if int(p.name.split("-")[1]) >= steps // 3]:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "final.json").exists()
    killed_at = latest_checkpoint(run / "checkpoints").state["fields"]["step"]["value"]
    assert 0 < killed_at < steps
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final, meta = _final(run)
    assert final.keys() == reference.keys() and final
    for key, value in reference.items():
        assert torch.equal(final[key], value), key
    assert meta == reference_meta and meta["history"]


if __name__ == "__main__":
    torch.set_num_threads(1)
    train(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]),
          sleep=float(os.environ.get("RESUME_RUNS_SLEEP", "0")))
