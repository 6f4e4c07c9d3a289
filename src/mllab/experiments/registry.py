r"""Finding experiments: one module per lecture, imported only when asked for."""

from __future__ import annotations

import importlib

from mllab.experiments.base import REGISTRY, Experiment

LECTURE_MODULES = (
    "regression", "critical_points", "batch_momentum", "adaptive_lr", "training_strategy",
    "learning_theory", "classification", "cnn", "normalization",
)
"""Modules of ``mllab.experiments``, one per lecture, in course order."""


class UnknownExperiment(ValueError):
    r"""A name that is no experiment, or a lecture with none."""


def all_experiments() -> list[Experiment]:
    r"""Every experiment, in course order."""
    for module in LECTURE_MODULES:
        importlib.import_module(f"mllab.experiments.{module}")
    return list(REGISTRY.values())


def get_experiment(name: str) -> Experiment:
    r"""The experiment called ``name``; :class:`UnknownExperiment` lists the valid names."""
    experiments = {e.name: e for e in all_experiments()}
    if name not in experiments:
        raise UnknownExperiment(f"unknown experiment {name!r}; valid choices: "
                                f"{', '.join(experiments)}")
    return experiments[name]


def experiments_of(lecture: str | None) -> list[Experiment]:
    r"""All experiments, or those of one lecture (its title, case-insensitive)."""
    experiments = all_experiments()
    if lecture is None:
        return experiments
    chosen = [e for e in experiments if e.lecture.lower() == lecture.strip().lower()]
    if not chosen:
        lectures = list(dict.fromkeys(e.lecture for e in experiments))
        raise UnknownExperiment(f"unknown lecture {lecture!r}; valid choices: "
                                f"{', '.join(lectures)}")
    return chosen
