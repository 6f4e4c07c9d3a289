"""Several processes with torch.distributed (gloo on this CPU): 2 ranks train to the weights
and losses of 1; a 2-rank run killed with SIGKILL resumes exactly; a rank that dies ends the
run with one line naming it, leaving the last checkpoint intact; the device and the world;
the Trainer unchanged under torchrun."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mllab.config import ConfigError
from mllab.train import (
    DistributedError,
    init_from_env,
    is_main,
    launch,
    list_checkpoints,
    load_checkpoint,
    rank,
    resolve_device,
    world_size,
)

sys.path.insert(0, str(Path(__file__).parent))
import distributed_runs  # noqa: E402

SCRIPT = Path(distributed_runs.__file__)
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}
"""Max abs difference allowed between 2 ranks and 1: the sums of a batch's gradient are taken
in another order (measured: 6e-8 in float32, 6e-16 in float64)."""


def _final(directory: Path) -> tuple[dict, list]:
    return (load_file(directory / "final.safetensors"),
            json.loads((directory / "history.json").read_text()))


def _max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


def test_two_ranks_train_to_the_weights_and_losses_of_one(tmp_path):
    launch(distributed_runs.train_all, 2, str(tmp_path / "two"), timeout=120)
    distributed_runs.train_all(str(tmp_path / "one"))
    for dtype, tolerance in TOLERANCE.items():
        one, one_history = _final(tmp_path / "one" / dtype)
        two, two_history = _final(tmp_path / "two" / dtype)
        assert _max_difference(one, two) <= tolerance, dtype
        assert len(one_history) == len(two_history) == 3
        for a, b in zip(one_history, two_history, strict=True):
            assert a.keys() == b.keys() and a["step"] == b["step"]
            for key in ("train_loss", "valid_loss"):
                assert b[key] == pytest.approx(a[key], rel=tolerance, abs=tolerance), key


def _run(nproc: int, out: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SCRIPT), str(nproc), str(out), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_a_two_rank_run_killed_with_sigkill_resumes_exactly(tmp_path):
    reference = _run(2, tmp_path / "reference")
    killed = _run(2, tmp_path / "killed", "0.05", start_new_session=True)
    deadline = time.monotonic() + 120
    while not [p for p in list_checkpoints(tmp_path / "killed" / "checkpoints")
               if int(p.name.split("-")[1]) >= 3]:
        assert killed.poll() is None, killed.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    os.killpg(killed.pid, signal.SIGKILL)  # the launcher and both ranks
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed" / "final.safetensors").exists()
    resumed = _run(2, tmp_path / "killed")
    for proc in (reference, resumed):
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
    final, history = _final(tmp_path / "killed")
    expected, expected_history = _final(tmp_path / "reference")
    for key, value in expected.items():
        assert torch.equal(final[key], value), key
    assert history == expected_history and len(history) == 4


@pytest.mark.parametrize(("how", "said"), [
    ("exit", "rank 1 exited with code 3"),
    ("sigkill", "rank 1 was killed by SIGKILL"),
    ("raise", "rank 1 raised ValueError: rank 1 gave up at update 8"),
])
def test_a_rank_that_dies_ends_the_run_naming_it_and_the_checkpoint_is_intact(tmp_path, how,
                                                                            said):
    start = time.monotonic()
    with pytest.raises(DistributedError) as caught:
        launch(distributed_runs.train, 2, str(tmp_path), "float32", "adam", 3, True, 0.0,
               (1, 8, how), timeout=60)
    assert time.monotonic() - start < 30
    assert str(caught.value) == said
    assert (caught.value.traceback != "") == (how == "raise")
    found = list_checkpoints(tmp_path / "checkpoints")
    assert found, "no checkpoint"
    checkpoint = load_checkpoint(found[-1])  # complete and verified
    assert 1 <= checkpoint.state["fields"]["step"]["value"] <= 7
    assert len(checkpoint.state["rng_ranks"]) == 2


def test_a_run_that_outlives_its_timeout_is_ended(tmp_path):
    start = time.monotonic()
    with pytest.raises(DistributedError, match=r"did not end within 1 s"):
        launch(time.sleep, 2, 60, timeout=1)
    assert time.monotonic() - start < 20


def test_launch_refuses_a_bad_nproc_and_an_unpicklable_function():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ConfigError, match="nproc must be an integer >= 1"):
            launch(print, bad)
    with pytest.raises(ConfigError, match="picklable"):
        launch(lambda: None, 2, timeout=30)


def test_one_process_runs_in_this_process_without_a_group(tmp_path):
    seen = []
    launch(lambda *a: seen.append((a, world_size(), rank(), is_main())), 1, "x", 2)
    assert seen == [(("x", 2), 1, 0, True)]
    assert not torch.distributed.is_initialized()


def test_without_a_group_the_world_is_one_and_the_environment_of_one_starts_none(monkeypatch):
    assert (world_size(), rank(), is_main()) == (1, 0, True)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert init_from_env("cpu") is False and not torch.distributed.is_initialized()


def test_resolve_device_here():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ConfigError, match="device must be 'cpu', 'cuda' or 'auto', got 'gpu'"):
        resolve_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_refused_in_one_line():
    with pytest.raises(ConfigError) as caught:
        resolve_device("cuda")
    assert "\n" not in str(caught.value) and "'cpu' or 'auto'" in str(caught.value)
    with pytest.raises(ConfigError):
        launch(print, 2, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_cuda_with_a_gpu():
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(ConfigError, match="the GPUs"):
        launch(print, torch.cuda.device_count() + 1, device="cuda")


TORCHRUN_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import distributed_runs

distributed_runs.train({out!r})  # the same function as one process runs
"""


def test_the_trainer_runs_unchanged_under_torchrun(tmp_path):
    pytest.importorskip("torch.distributed.run")
    script = tmp_path / "script.py"
    script.write_text(TORCHRUN_SCRIPT.format(tests=str(SCRIPT.parent), out=str(tmp_path / "two")))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node", "2", str(script)],
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    distributed_runs.train(str(tmp_path / "one"))
    one, one_history = _final(tmp_path / "one")
    two, two_history = _final(tmp_path / "two")
    assert _max_difference(one, two) <= TOLERANCE["float32"]
    assert [h["epoch"] for h in two_history] == [1, 2, 3]
