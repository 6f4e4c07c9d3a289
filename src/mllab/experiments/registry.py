r"""Finding experiments: one package per lecture, one module per experiment, imported only
when asked for.

A lecture package ``mllab.experiments.<lecture>`` names its title (``LECTURE``) and its
experiment modules in course order (``EXPERIMENTS``); importing a module registers its
experiment with :func:`mllab.experiments.base.experiment`.
"""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path

from mllab.experiments.base import JOBS, REGISTRY, Experiment

LECTURE_PACKAGES = (
    "regression", "critical_points", "batch_momentum", "adaptive_lr", "training_strategy",
    "learning_theory", "classification", "cnn", "why_deep", "normalization", "self_attention",
    "transformer", "self_supervised", "gan", "autoencoder", "image_generation", "adversarial",
    "domain_adaptation", "explainable_ai", "reinforcement_learning", "compression", "lifelong",
    "meta",
)
"""Packages of ``mllab.experiments``, one per lecture, in course order."""
JOB_MODULES = ("fit", "diagnose")
"""Modules of ``mllab.experiments`` that register a job (``mllab fit``, ``mllab diagnose``)."""


class UnknownExperiment(ValueError):
    r"""A name that is no experiment, or a lecture with none."""


def all_experiments() -> list[Experiment]:
    r"""Every experiment, in course order (whatever order their modules were imported in);
    experiments registered from elsewhere come last."""
    modules = []
    for package in LECTURE_PACKAGES:
        lecture = importlib.import_module(f"mllab.experiments.{package}")
        modules += [importlib.import_module(f"mllab.experiments.{package}.{m}").__name__
                    for m in lecture.EXPERIMENTS]
    rank = {name: i for i, name in enumerate(modules)}
    return sorted(REGISTRY.values(), key=lambda e: rank.get(e.fn.__module__, len(rank)))


def all_jobs() -> list[Experiment]:
    r"""The jobs on a user's own data, which runs and resumes like experiments but are not
    listed with them."""
    for module in JOB_MODULES:
        importlib.import_module(f"mllab.experiments.{module}")
    return list(JOBS.values())


def source_file(experiment: Experiment) -> str:
    r"""Where an experiment lives, relative to the installed package:
    ``mllab/experiments/<lecture>/<experiment>.py``."""
    import mllab

    path = Path(importlib.import_module(experiment.fn.__module__).__file__)
    return path.relative_to(Path(mllab.__file__).parent.parent).as_posix()


def name_choices(names: list[str], given: object) -> str:
    r"""The valid names for one line of an error: all of them while they are few, else how
    many there are, where to see them, and the closest to ``given`` (or the first ones)."""
    if len(", ".join(names)) <= 400:
        return ", ".join(names)
    close = difflib.get_close_matches(str(given), names, n=3, cutoff=0.5) or names[:3]
    return f"the {len(names)} that `mllab list` shows, such as {', '.join(close)}"


def get_experiment(name: str) -> Experiment:
    r"""The experiment called ``name``; :class:`UnknownExperiment` names the valid ones."""
    experiments = {e.name: e for e in all_experiments()}
    if name not in experiments:
        raise UnknownExperiment(f"unknown experiment {name!r}; valid choices: "
                                f"{name_choices(list(experiments), name)}")
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
