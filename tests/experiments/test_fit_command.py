"""The options of ``mllab fit`` become FitSettings as ``--set`` would make them; the submission
is refused before any training where it would be lost or overwrite a file."""

from pathlib import Path

import pytest

from mllab.cli import build_parser
from mllab.config import ConfigError
from mllab.experiments.fit import FitSettings
from mllab.experiments.fit_command import FIT_OPTIONS, _check_submission, fit_settings
from mllab.experiments.run_folder import RunError


def _settings(*options: str) -> FitSettings:
    return fit_settings(build_parser().parse_args(["fit", "t.csv", *options]))


def test_every_option_sets_a_field_of_the_settings():
    fields = set(FitSettings.field_types())
    assert {name for name, _ in FIT_OPTIONS.values()} <= fields
    s = _settings("--target", "y", "--model", "16, 8", "--lr", "0.01", "--patience", "none",
                  "--cv", "5", "--select", "3", "--task", "classification", "--diagnose")
    assert (s.hidden, s.lr, s.patience, s.cv, s.select, s.task, s.diagnose) == \
        ((16, 8), 0.01, None, 5, 3, "classification", True)
    assert Path(s.train).is_absolute() and s.train.endswith("t.csv")
    defaults = _settings("--target", "y")
    assert defaults.hidden == (16, 8) and defaults.patience == 30 and defaults.cv is None
    assert _settings("--target", "y", "--model", "linear").hidden == ()


@pytest.mark.parametrize(("options", "match"), [
    (["--lr", "fast"], "setting lr expects float"),
    (["--model", "16,x"], "setting hidden expects int"),
    (["--epochs", "0"], "epochs must be >= 1"),
])
def test_a_bad_option_is_the_setting_s_one_line_message(options, match):
    with pytest.raises(ConfigError, match=match):
        _settings("--target", "y", *options)


def test_a_submission_that_would_be_lost_or_overwrite_a_file_is_refused(tmp_path):
    (tmp_path / "mine.csv").write_text("precious")
    cases = [(FitSettings(submission=str(tmp_path / "s.csv")), "give --predict too"),
             (FitSettings(predict="t.csv", submission=str(tmp_path / "mine.csv")),
              "mine.csv exists"),
             (FitSettings(predict="t.csv", submission=str(tmp_path / "no" / "s.csv")),
              "is not an existing folder")]
    for s, match in cases:
        with pytest.raises(RunError, match=match):
            _check_submission(s)
    _check_submission(FitSettings(predict="t.csv", submission=str(tmp_path / "new.csv")))
    assert (tmp_path / "mine.csv").read_text() == "precious"
