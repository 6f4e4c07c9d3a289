r"""Multi-process training set-up: the device, the world, and a launcher; all through
``torch.distributed`` (nothing home-made for communication).

Data-parallel training (``DistributedDataParallel``) runs :math:`W` copies of the same
program, the *ranks* :math:`r = 0, \dots, W-1`, each on its shard of every global batch; after
each backward pass DDP averages the gradients over the ranks (an all-reduce), so every rank
takes the same optimizer step and the copies stay equal:

.. math:: g = \frac{1}{W} \sum_{r=0}^{W-1} \nabla_\theta L_r(\theta)

:class:`mllab.train.Trainer` and :func:`mllab.train.run_loop` read the world from here
(:func:`world_size`, :func:`rank`, :func:`is_main`: 1, 0 and ``True`` when no process group is
initialized, so a plain script is a world of one). A world is started either

- by :func:`launch`, ``launch(fn, nproc, *args)``: ``nproc`` local processes (the ``spawn``
  start method), each joining a process group (gloo on CPU, NCCL on GPUs) and calling
  ``fn(*args)``; a rank that dies ends the whole run with :class:`DistributedError`;
- or by ``torchrun --nproc_per_node N script.py``, which sets ``RANK``, ``WORLD_SIZE``,
  ``MASTER_ADDR``, ... and lets :func:`init_from_env` (which ``Trainer.fit`` calls) join the
  group, so a script using the Trainer runs unchanged under torchrun.

Differences from the course: the course trains on one process; this is the scale-out that
ARCHITECTURE.md promises, not a lecture's algorithm.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from pathlib import Path

import torch
import torch.distributed as dist
from torch import Tensor

from mllab.config import ConfigError, is_int, require

DEVICES = ("cpu", "cuda", "auto")
"""The device names :func:`resolve_device` accepts."""
GRACE_SECONDS = 2.0
"""How long the other ranks get to end on their own once one rank died, before SIGKILL."""


class DistributedError(RuntimeError):
    r"""A rank of a :func:`launch` run died (or the run outlived its timeout); the message is
    one line naming the rank and how it ended. ``traceback`` holds the rank's traceback text
    when it raised an exception (``""`` otherwise)."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback


def resolve_device(name: str) -> torch.device:
    r"""``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA if a GPU is available, else the CPU) as a
    ``torch.device``; ``"cuda"`` without a GPU, or any other name, is a :class:`ConfigError`."""
    require(name in DEVICES, "device", "'cpu', 'cuda' or 'auto'", name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device must be 'cpu' or 'auto' here, got 'cuda' (no CUDA GPU is "
                          "available)")
    return torch.device(name)


def world_size() -> int:
    r"""How many ranks train together (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    r"""This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    r"""Whether this is rank 0, the one that writes files."""
    return rank() == 0


def collective_device() -> torch.device:
    r"""Where the tensors of a collective live: the current GPU under NCCL, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def init_from_env(device: str | torch.device = "cpu") -> bool:
    r"""Join the process group that the environment describes (``torchrun`` sets ``RANK``,
    ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) when ``WORLD_SIZE > 1``
    and no group exists yet: gloo for the CPU, NCCL (on GPU ``LOCAL_RANK``) for CUDA.

    Returns:
        Whether a group was initialized by this call (it is destroyed at exit).
    """
    if not dist.is_available() or dist.is_initialized():
        return False
    size = os.environ.get("WORLD_SIZE", "1")
    if not size.isdigit() or int(size) <= 1:
        return False
    kind = device.type if isinstance(device, torch.device) else resolve_device(device).type
    if kind == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if kind == "cuda" else "gloo", init_method="env://")
    atexit.register(_destroy)
    return True


def _destroy() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


# ------------------------------------------------------------------------------ launch
def shard_loss(loss_fn: Callable[[Tensor, Tensor], Tensor], out: Tensor, y: Tensor,
               total: int, world: int) -> tuple[Tensor, Tensor]:
    r"""This rank's loss on its shard :math:`S_r` of a global batch :math:`B` of ``total``
    examples, scaled so that DDP's average over the :math:`W` ranks is the one-process
    gradient on :math:`B`, also when shards differ in size:

    .. math:: L_r = \frac{|S_r|\,W}{|B|}\,\frac{1}{|S_r|}\sum_{i\in S_r}\ell_i,
       \qquad \frac{1}{W}\sum_r \nabla L_r = \nabla \frac{1}{|B|}\sum_{i\in B}\ell_i

    (``loss_fn`` must be a mean; a penalty added on every rank survives the average). An empty
    shard (a last batch smaller than :math:`W`) gives a zero loss that still reaches every
    parameter, so this rank takes part in DDP's all-reduce.

    Returns:
        ``(L_r, sum)``: the loss to differentiate, and the shard's summed data loss (float64)
        for an all-reduce into the batch's loss.
    """
    if not len(y):
        return out.sum() * 0.0, torch.zeros((), dtype=torch.float64, device=out.device)
    loss = loss_fn(out, y)
    return loss * (len(y) * world / total), loss.detach().to(torch.float64) * len(y)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _watch_parent(parent: int) -> None:
    r"""End this rank when the launching process is gone (SIGKILLed, say): an orphaned rank
    would otherwise wait in a collective for the gloo timeout (30 minutes)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _worker(r: int, nproc: int, port: int, device: str, threads: int, errors: str,
            parent: int, fn: Callable, args: tuple) -> None:
    r"""One rank: join the group, call ``fn(*args)``, leave the group; an exception is
    written to ``errors/rank-<r>.json`` and ends the process with exit code 1."""
    import traceback

    _watch_parent(parent)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(r),
                      LOCAL_RANK=str(r), WORLD_SIZE=str(nproc))
    torch.set_num_threads(threads)
    try:
        init_from_env(torch.device(device))
        try:
            fn(*args)
        finally:
            _destroy()
    except (Exception, KeyboardInterrupt) as e:
        text = {"type": type(e).__name__, "message": " ".join(str(e).split()),
                "traceback": traceback.format_exc()}
        Path(errors, f"rank-{r}.json").write_text(json.dumps(text))
        os._exit(1)


def _ending(r: int, exitcode: int, errors: Path) -> dict:
    r"""How rank ``r`` ended, as ``{"rank", "how", "type", "traceback", "secondary"}``."""
    file = errors / f"rank-{r}.json"
    if exitcode == 1 and file.is_file():
        e = json.loads(file.read_text())
        how = f"raised {e['type']}: {e['message']}" if e["message"] else f"raised {e['type']}"
        secondary = e["type"].startswith("Dist") or "gloo" in e["message"].lower() \
            or "nccl" in e["message"].lower()  # it saw another rank die
        return {"rank": r, "how": how, "type": e["type"], "traceback": e["traceback"],
                "secondary": secondary}
    if exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited with code {exitcode}"
    return {"rank": r, "how": how, "type": None, "traceback": "", "secondary": False}


def _end(processes: list) -> None:
    r"""Terminate the ranks still running; SIGKILL those that outlive the grace period."""
    processes = [p for p in processes if p.pid is not None]  # those started
    for p in processes:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join()


def _watch(processes: list, errors: Path, timeout: float | None) -> list[dict]:
    r"""Wait until every rank ended well, or one died (then a moment for the others to show
    whether they only saw it die); the endings of the ranks that failed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    failed: list[dict] = []
    running = dict(enumerate(processes))
    while running:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            if not failed:
                ranks = ", ".join(map(str, sorted(running)))
                raise DistributedError(f"the run did not end within {timeout:g} s (rank(s) "
                                       f"{ranks} still running); every rank was terminated")
            break
        for sentinel in wait([p.sentinel for p in running.values()], left):
            r = next(k for k, p in running.items() if p.sentinel == sentinel)
            p = running.pop(r)
            p.join()
            if p.exitcode != 0:
                failed.append(_ending(r, p.exitcode, errors))
        if failed and (deadline is None or deadline > time.monotonic() + GRACE_SECONDS / 4):
            deadline = time.monotonic() + GRACE_SECONDS / 4
    return failed


def launch(fn: Callable, nproc: int, *args, device: str = "cpu",
           timeout: float | None = None) -> None:
    r"""Run ``fn(*args)`` on ``nproc`` local ranks, each in a process group of ``nproc``.

    Each rank is a new process (``torch.multiprocessing``'s ``spawn`` start method) with
    ``MASTER_ADDR=127.0.0.1``, a free ``MASTER_PORT``, ``RANK``, ``LOCAL_RANK`` and
    ``WORLD_SIZE`` set and torch's thread count of the caller; it joins the group (gloo for the
    CPU, NCCL with GPU ``r`` for CUDA), calls ``fn(*args)`` and leaves the group. ``fn`` and
    ``args`` travel to the ranks by pickle, so ``fn`` must be a top-level function of an
    importable module (not a lambda, not a local function) and ``args`` picklable values.
    With ``nproc == 1``, ``fn(*args)`` is called in this process, with no group.

    A rank that dies (a nonzero exit, a signal such as SIGKILL, an exception) ends the whole
    run: the other ranks are terminated. When every rank raised
    :class:`~mllab.train.TrainingInterrupted` (a stop request they agreed on), that is raised.

    Args:
        fn: the function each rank runs; its return value is dropped.
        nproc: how many ranks (an integer >= 1; for CUDA at most the GPU count).
        *args: ``fn``'s arguments.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"`` (:func:`resolve_device`).
        timeout: seconds the whole run may take (``None``: no limit); then every rank is
            terminated and :class:`DistributedError` raised.

    Raises:
        ConfigError: a bad ``nproc`` or ``device``.
        DistributedError: a rank died, or the run outlived ``timeout``; one line naming the
            rank and how it ended (exit code, signal name, exception type and message). Ranks
            that only saw another one die are not the one named.
    """
    kind = resolve_device(device).type
    limit = torch.cuda.device_count() if kind == "cuda" else None
    allowed = "an integer >= 1" + (f" and <= {limit} (the GPUs)" if limit is not None else "")
    require(is_int(nproc) and nproc >= 1 and (limit is None or nproc <= limit), "nproc",
            allowed, nproc)
    if nproc == 1:
        fn(*args)
        return
    context = torch.multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="mllab-launch-") as errors:
        port = _free_port()
        processes = [context.Process(target=_worker, args=(
            r, nproc, port, kind, torch.get_num_threads(), errors, os.getpid(), fn, args))
            for r in range(nproc)]
        try:
            for p in processes:
                try:
                    p.start()
                except (pickle.PicklingError, AttributeError, TypeError) as e:
                    raise ConfigError(f"fn and args must be picklable (a top-level function "
                                      f"of an importable module): {e}") from None
            failed = _watch(processes, Path(errors), timeout)
        finally:
            _end(processes)
    if failed:
        _raise(failed, nproc)


def _raise(failed: list[dict], nproc: int) -> None:
    if len(failed) == nproc and all(f["type"] == "TrainingInterrupted" for f in failed):
        from mllab.train.loop import TrainingInterrupted

        raise TrainingInterrupted(failed[0]["how"].split(": ", 1)[-1])
    first = next((f for f in failed if not f["secondary"]), failed[0])
    raise DistributedError(f"rank {first['rank']} {first['how']}", first["traceback"])


__all__ = ["DEVICES", "DistributedError", "collective_device", "init_from_env", "is_main",
           "launch", "rank", "resolve_device", "shard_loss", "world_size"]
