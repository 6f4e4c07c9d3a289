"""A run's folder: made with its parents (and unmade again after a refusal, keeping what was
there), held by one process at a time, and checked for files and folders of the wrong kind."""

import pytest

from mllab.experiments.run_folder import (
    RunError,
    check_kinds,
    make_folder,
    run_lock,
    unmake_folder,
)


def test_make_folder_returns_the_topmost_folder_it_made_and_unmake_removes_only_those(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "other").write_text("kept")
    run = tmp_path / "runs" / "exp" / "r1"
    assert make_folder(run) == tmp_path / "runs" / "exp"
    assert make_folder(run) is None  # it exists now
    (run / "result.json").write_text("{}")
    unmake_folder(run, tmp_path / "runs" / "exp")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["other"]


def test_make_folder_refuses_a_file_and_a_name_too_long(tmp_path):
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(RunError, match="exists and is not a folder"):
        make_folder(tmp_path / "taken")
    with pytest.raises(RunError, match="longer than the 255 bytes"):
        make_folder(tmp_path / ("x" * 300))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_held_run_folder_is_refused_to_a_second_holder(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(RunError, match="being run by another mllab process"), \
                run_lock(tmp_path):
            pass
    with run_lock(tmp_path):  # released
        pass
    with pytest.raises(RunError, match="does not exist"), run_lock(tmp_path / "none"):
        pass


def test_check_kinds_names_what_has_the_wrong_kind(tmp_path):
    check_kinds(tmp_path)  # nothing there yet is fine
    (tmp_path / "trials" / "a-r0" / "checkpoints").mkdir(parents=True)
    check_kinds(tmp_path)
    (tmp_path / "report.html").mkdir()
    with pytest.raises(RunError, match="report.html is not a file"):
        check_kinds(tmp_path)
    (tmp_path / "report.html").rmdir()
    (tmp_path / "trials" / "a-r0" / "checkpoints").rmdir()
    (tmp_path / "trials" / "a-r0" / "checkpoints").write_text("x")
    with pytest.raises(RunError, match="checkpoints is not a folder"):
        check_kinds(tmp_path)
