"""The command line: listing, and bad input ending in one line and exit status 2."""

import json
import shutil

import pytest

from mllab.experiments import all_experiments

FAST = ["--quick", "--set", "epochs=3"]


def _one_line_error(done, *needles):
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_list_shows_every_experiment(mllab):
    done = mllab("list")
    assert done.returncode == 0
    for e in all_experiments():
        assert e.name in done.stdout and e.claim in done.stdout


@pytest.mark.parametrize(("args", "needles"), [
    (["run", "no-such-thing"], ["unknown experiment 'no-such-thing'", "regression-linear"]),
    (["run", "regression-linear", "--set", "bogus=1"], ["unknown setting 'bogus'", "epochs"]),
    (["run", "regression-linear", "--set", "epochs=many"], ["epochs expects int", "'many'"]),
    (["run", "regression-linear", "--set", "epochs=0"], ["epochs must be >= 1", "got 0"]),
    (["run", "regression-sigmoids", "--set", "lr=-0.1"], ["lr must be > 0", "-0.1"]),
    (["run", "regression-linear", "--set", "epochs"], ["KEY=VALUE"]),
    (["run", "regression-linear", "--seed", "-4"], ["--seed"]),
    (["run"], ["name"]),
    (["fly"], ["invalid choice", "run"]),
    (["resume", "no/such/run"], ["does not exist"]),
    (["report", "no/such/run"], ["does not exist"]),
    (["course", "--only", "astrology"], ["unknown lecture 'astrology'", "Regression"]),
    (["verify", "no-such-thing"], ["unknown experiment 'no-such-thing'", "momentum"]),
    (["verify", "momentum", "--seeds", "0"], ["--seeds expects an integer >= 1", "'0'"]),
])
def test_bad_input_is_one_line_and_exit_2(mllab, tmp_path, args, needles):
    _one_line_error(mllab(*args, cwd=tmp_path), *needles)
    assert not (tmp_path / "runs").exists()  # nothing was started


def test_folder_that_is_not_a_run(mllab, tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "result.json").write_text("[1, 2]")
    _one_line_error(mllab("resume", str(tmp_path / "stuff")), "is not a run folder")
    _one_line_error(mllab("report", str(tmp_path)), "is not a run folder")


def test_run_does_not_overwrite_an_existing_run(mllab, tmp_path):
    out = tmp_path / "run"
    assert mllab("run", "regression-sigmoids", *FAST, "--out", str(out)).returncode == 0
    before = (out / "result.json").read_bytes()
    _one_line_error(mllab("run", "regression-sigmoids", *FAST, "--out", str(out)),
                    "is not empty", "mllab resume")
    assert (out / "result.json").read_bytes() == before


def test_corrupt_checkpoint_on_resume_is_refused_and_kept(mllab, tmp_path):
    out = tmp_path / "run"
    done = mllab("run", "regression-sigmoids", "--quick", "--set", "epochs=5", "--out",
                 str(out), env={"MLLAB_CHECKPOINT_SECONDS": "0"})
    assert done.returncode == 0
    result = json.loads((out / "result.json").read_text())
    result["status"] = "interrupted"  # pretend it was killed after trial 'linear' began
    (out / "result.json").write_text(json.dumps(result))
    trial = out / "trials" / "linear-r0"
    (trial / "trial.json").unlink()
    step = sorted((trial / "checkpoints").iterdir())[-1]
    blob = bytearray((step / "model.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (step / "model.safetensors").write_bytes(bytes(blob))
    _one_line_error(mllab("resume", str(out)), "model.safetensors", "corrupt")
    assert (step / "model.safetensors").read_bytes() == bytes(blob)  # nothing deleted


def test_changed_settings_refuse_an_old_checkpoint(mllab, tmp_path):
    out = tmp_path / "run"
    assert mllab("run", "regression-sigmoids", "--quick", "--set", "epochs=5", "--out",
                 str(out), env={"MLLAB_CHECKPOINT_SECONDS": "0"}).returncode == 0
    result = json.loads((out / "result.json").read_text())
    result.update(status="interrupted", settings={**result["settings"], "lr": 0.5})
    (out / "result.json").write_text(json.dumps(result))
    (out / "trials" / "linear-r0" / "trial.json").unlink()
    _one_line_error(mllab("resume", str(out)), "lr", "0.5")


def test_report_rerenders_from_result_json(mllab, tmp_path):
    out = tmp_path / "run"
    assert mllab("run", "regression-sigmoids", *FAST, "--out", str(out)).returncode == 0
    (out / "report.html").unlink()
    done = mllab("report", str(out))
    assert done.returncode == 0
    verdict = json.loads((out / "result.json").read_text())["verdict"]
    assert f">{verdict}<" in (out / "report.html").read_text()
    shutil.rmtree(out / "trials")  # the report needs only result.json and figures
    assert mllab("report", str(out)).returncode == 0


def test_bad_thread_count_is_one_line(mllab, tmp_path):
    done = mllab("run", "regression-sigmoids", *FAST, "--out", str(tmp_path / "r"),
                 env={"MLLAB_THREADS": "zero"})
    _one_line_error(done, "MLLAB_THREADS must be an integer >= 1")
    assert not (tmp_path / "r").exists()
