r"""A run's folder on disk: creating it (or saying in one line why it cannot be), holding it
for one process, checking that what a run rewrites has the right kind, and removing a new
folder whose run was refused."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mllab.config import shorten


class RunError(ValueError):
    r"""A run folder that cannot be used: missing, not a run, already taken, or damaged."""


def make_folder(path: Path, what: str = "--out") -> Path | None:
    r"""Create the output folder ``path`` (and its parents), or raise :class:`RunError` saying
    in one line why it cannot be, before anything is written. Returns the topmost folder it
    created (``None`` if ``path`` existed), for removing a run that was refused."""
    existing = next(p for p in (path, *path.parents) if _exists(p))
    name_max, path_max = (os.pathconf(existing, n) for n in ("PC_NAME_MAX", "PC_PATH_MAX"))
    if any(len(os.fsencode(part)) > name_max for part in path.parts):
        raise RunError(f"{what} {shorten(str(path))}: a name in it is longer than the "
                       f"{name_max} bytes the file system allows")
    if len(os.fsencode(os.path.abspath(path))) >= path_max:
        raise RunError(f"{what} {shorten(str(path))}: the path is longer than the "
                       f"{path_max} bytes the system allows")
    if path.exists() and not path.is_dir():
        raise RunError(f"{what} {path} exists and is not a folder; choose a folder name")
    created = next((p for p in reversed((path, *path.parents)) if not p.exists()), None)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunError(f"{what} {path}: cannot create the folder ({e.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise RunError(f"{what} {path}: the folder is not writable; choose another")
    return created


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, say
        return False


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    r"""Hold ``run_dir`` for this process: a second ``mllab`` on the same run is refused.

    An advisory lock (``flock``) on the folder itself: nothing is written, and the lock goes
    with the process however it ends.
    """
    try:
        fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        raise RunError(f"run folder {run_dir} does not exist") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(f"{run_dir} is being run by another mllab process; wait for it to "
                           f"end (or stop it) and try again") from None
        yield
    finally:
        os.close(fd)


def check_kinds(run_dir: Path) -> None:
    r"""What a run rewrites must have its kind (a file, a folder) or be absent: refuse before
    anything runs."""
    kinds = {run_dir / n: "file" for n in ("result.json", "metrics.jsonl", "report.html")}
    kinds[run_dir / "trials"] = "folder"
    if (run_dir / "trials").is_dir():
        for trial in (run_dir / "trials").iterdir():
            kinds |= {trial: "folder", trial / "checkpoints": "folder",
                      trial / "trial.json": "file"}
    for path, kind in kinds.items():
        if path.exists() and not (path.is_file() if kind == "file" else path.is_dir()):
            raise RunError(f"{path} is not a {kind}; move it away and try again")


def unmake_folder(run_dir: Path, created: Path | None) -> None:
    r"""Undo a refused new run: empty ``run_dir``, then remove the folders
    :func:`make_folder` created for it, where nothing else has been put meanwhile."""
    for path in run_dir.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    if created is not None:
        for folder in (run_dir, *run_dir.parents):
            with contextlib.suppress(OSError):
                folder.rmdir()
            if folder == created:
                break
