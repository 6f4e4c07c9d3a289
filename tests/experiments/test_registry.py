"""Finding experiments: every lecture package's experiments, in course order, each in the file
named after it; unknown names and lectures list the valid ones."""

import importlib

import pytest

from mllab.experiments.registry import (
    LECTURE_PACKAGES,
    UnknownExperiment,
    all_experiments,
    experiments_of,
    get_experiment,
    source_file,
)


def test_every_experiment_lives_in_its_lecture_package_in_a_file_named_after_it():
    experiments = all_experiments()
    assert len({e.name for e in experiments}) == len(experiments) >= 15
    for e in experiments:
        package, module = e.fn.__module__.split(".")[2:]
        lecture = importlib.import_module(f"mllab.experiments.{package}")
        assert e.lecture == lecture.LECTURE and module in lecture.EXPERIMENTS
        assert module == e.name.replace("-", "_") or e.name == "cnn-vs-fc"
        assert source_file(e) == f"mllab/experiments/{package}/{module}.py"


def test_experiments_come_in_course_order():
    packages = [e.fn.__module__.split(".")[2] for e in all_experiments()]
    assert [p for i, p in enumerate(packages) if p not in packages[:i]] == list(LECTURE_PACKAGES)
    assert [e.name for e in experiments_of("regression")] == [
        "regression-linear", "regression-sigmoids", "regression-depth"]


def test_unknown_names_list_the_valid_choices():
    n = len(all_experiments())
    with pytest.raises(UnknownExperiment, match=f"'astrology'; valid choices: the {n} that "
                                                "`mllab list` shows, such as regression-linear"):
        get_experiment("astrology")
    with pytest.raises(UnknownExperiment, match="such as batch-size"):  # the closest names
        get_experiment("batch-sise")
    with pytest.raises(UnknownExperiment, match="unknown lecture 'astrology'.*Regression, "
                                                "Critical points"):
        experiments_of("astrology")
    assert get_experiment("momentum").lecture == "Batch and momentum"
    assert experiments_of("  cnn ")[0].name == "cnn-vs-fc"
