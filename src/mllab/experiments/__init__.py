r"""The course's claims as experiments: claim, settings, ``run(settings, ctx)``, verdict."""

from mllab.experiments.base import Result, Settings, SettingsError, experiment, table
from mllab.experiments.context import RunContext, Trial
from mllab.experiments.registry import all_experiments, experiments_of, get_experiment

__all__ = [
    "Result", "RunContext", "Settings", "SettingsError", "Trial", "all_experiments",
    "experiment", "experiments_of", "get_experiment", "table",
]
