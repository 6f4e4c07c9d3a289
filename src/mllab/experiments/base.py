r"""The experiment contract: a claim, settings, ``run(settings, ctx) -> Result``, and a
``judge`` that turns the measured metrics into evidence and so into a verdict.

The verdict never comes from the experiment body: ``judge(metrics, settings)`` builds the
:class:`~mllab.experiments.evidence.Evidence` (checks over independent repeats with margins
from the settings, demonstrations apart) from the numbers the run measured; the evidence model
decides, and the judge's source code is shown in the report.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mllab.config import ConfigError, is_int, is_real, shorten
from mllab.experiments.evidence import Evidence

VERDICTS = ("reproduced", "not reproduced", "inconclusive")
"""What :meth:`Evidence.verdict` can say."""


class SettingsError(ConfigError):
    r"""A setting that does not exist, has the wrong type, or is out of range."""


@dataclass
class Settings:
    r"""Base of every experiment's settings: a dataclass whose fields all have defaults.

    Subclasses validate in :meth:`validate` with :func:`mllab.config.require`, and return the
    settings of quick mode (under 30 s on 2 cores) from :meth:`quick`.
    """

    def __post_init__(self) -> None:
        for name, hint in self.field_types().items():
            value = getattr(self, name)
            if not _conforms(value, hint):
                raise SettingsError(f"setting {name} must be {_describe(hint)}, "
                                    f"got {shorten(value)}")
        try:
            self.validate()
        except SettingsError:
            raise
        except ConfigError as e:
            raise SettingsError(f"setting {e}") from None

    def validate(self) -> None:
        r"""Raise :class:`SettingsError` naming the field and its allowed range."""

    @classmethod
    def quick(cls) -> Settings:
        r"""The settings of quick mode."""
        return cls()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls)}

    @classmethod
    def from_dict(cls, values: dict) -> Settings:
        r"""Settings from JSON values (lists become tuples where the field is a tuple)."""
        types_ = cls.field_types()
        unknown = sorted(set(values) - set(types_))
        if unknown:
            raise SettingsError(f"unknown setting {shorten(unknown[0])}; valid settings: "
                                f"{', '.join(types_)}")
        converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**converted)

    def with_overrides(self, pairs: list[str]) -> Settings:
        r"""Apply ``KEY=VALUE`` strings, parsing each value by the field's type."""
        types_ = self.field_types()
        values = self.to_dict()
        for pair in pairs:
            key, sep, text = pair.partition("=")
            if not sep:
                raise SettingsError(f"--set expects KEY=VALUE, got {shorten(pair)}")
            if key not in types_:
                raise SettingsError(f"unknown setting {shorten(key)}; valid settings: "
                                    f"{', '.join(types_)}")
            values[key] = parse_value(key, text, types_[key])
        return type(self).from_dict(values)


_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
FLOAT32_MAX = 3.4028234663852886e38
"""The largest float a setting may hold: models and optimizers compute in float32."""
"""What ``--set`` reads as a number: plain ASCII digits, as in ``12``, ``-3``, ``0.01``,
``1e-4``; not ``１２``, ``4_00``, ``inf`` or ``nan``, which Python's ``int``/``float`` accept."""


def _parse_scalar(key: str, text: str, kind: type) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"setting {key} expects true or false, got {shorten(text)}")
    if kind is str:
        return text
    pattern, example = (_INT, "12") if kind is int else (_FLOAT, "0.01 or 1e-4")
    if not pattern.fullmatch(text):
        raise SettingsError(f"setting {key} expects {kind.__name__}, got {shorten(text)} "
                            f"(plain digits, e.g. {example})")
    try:
        return kind(text)
    except ValueError:  # an int longer than Python converts (4300 digits)
        raise SettingsError(f"setting {key} expects {kind.__name__}, got {shorten(text)}") \
            from None


def parse_value(key: str, text: str, hint: Any) -> Any:
    r"""Parse a ``--set`` value for a field of type int, float, bool, str, ``X | None`` or
    ``tuple[X, ...]`` (comma-separated)."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if text.strip().lower() == "none":
            return None
        inner = next(a for a in args if a is not type(None))
        return parse_value(key, text, inner)
    if origin is tuple:
        return tuple(_parse_scalar(key, part, args[0]) for part in text.split(",") if part)
    return _parse_scalar(key, text, hint)


def _conforms(value: Any, hint: Any) -> bool:
    r"""Whether a setting's value has its field's type; floats must be finite."""
    args, origin = typing.get_args(hint), typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if origin is tuple:
        return isinstance(value, tuple) and all(_conforms(v, args[0]) for v in value)
    if hint is type(None):
        return value is None
    if hint is float:
        return is_real(value) and math.isfinite(value) and abs(value) <= FLOAT32_MAX
    if hint is int:
        return is_int(value)
    return isinstance(value, hint)


def _describe(hint: Any, plural: bool = False) -> str:
    args, origin = typing.get_args(hint), typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a, plural) for a in args)
    if origin is tuple:
        return f"a list of {_describe(args[0], plural=True)}"
    names = {float: ("a finite number within float32's range", "finite numbers"),
             int: ("an integer", "integers"), bool: ("true or false", "true/false values"),
             str: ("text", "texts"), type(None): ("none", "nones")}
    return names.get(hint, (getattr(hint, "__name__", str(hint)),) * 2)[plural]


@dataclass
class Result:
    r"""What an experiment's ``run`` returns; the verdict comes from its ``judge``."""

    metrics: dict
    tables: list[dict] = field(default_factory=list)


def table(title: str, columns: list[str], rows: list[list]) -> dict:
    r"""A table for the report: a title, column names and rows of values."""
    return {"title": title, "columns": list(columns), "rows": [list(r) for r in rows]}


Judge = Callable[[dict, Any], Evidence]
"""``judge(metrics, settings)``: the checks and demonstrations the metrics give."""


@dataclass(frozen=True)
class Experiment:
    r"""A registered experiment."""

    name: str
    lecture: str
    claim: str
    settings: type[Settings]
    fn: Callable[..., Result]
    judge: Judge
    job: bool = False
    """A job on the user's own data (``mllab fit``, ``mllab diagnose``), not a lecture's claim:
    it has no verdict; its ``metrics["summary"]`` is the sentence a run reports."""

    def verdict_code(self) -> str:
        return inspect.getsource(self.judge)


REGISTRY: dict[str, Experiment] = {}
JOBS: dict[str, Experiment] = {}
"""The jobs (:attr:`Experiment.job`), apart from the course's experiments."""


def experiment(*, name: str, lecture: str, claim: str, judge: Judge, job: bool = False):
    r"""Register ``run(s: SomeSettings, ctx: RunContext) -> Result`` as an experiment (or, with
    ``job=True``, as a job)."""

    def register(fn: Callable[..., Result]) -> Callable[..., Result]:
        hint = typing.get_type_hints(fn)[next(iter(inspect.signature(fn).parameters))]
        registry = JOBS if job else REGISTRY
        if name in registry:
            raise ValueError(f"experiment {name!r} registered twice")
        registry[name] = Experiment(name, lecture, claim, hint, fn, judge, job)
        return fn

    return register
