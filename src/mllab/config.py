r"""Validation of configuration dataclasses: the one helper every config class uses.

Every configuration (``TrainConfig``, ``LoopConfig``, ``MLPConfig``, ``CNNConfig``, the
hyperparameters of an optimizer, a schedule, a normalization layer or a classifier, an
experiment's ``Settings``) checks its fields on construction with :func:`require`, so every
refusal reads the same way: ``<name> must be <allowed>, got <value>``.
"""

from __future__ import annotations

from numbers import Real
from typing import Any


class ConfigError(ValueError):
    r"""A configuration value outside its allowed range; the message names field and range."""


def is_real(value: object) -> bool:
    r"""Whether ``value`` is a real number (an int or a float, never a bool)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def is_int(value: object) -> bool:
    r"""Whether ``value`` is an integer (never a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def require(ok: bool, name: str, allowed: str, value: Any) -> None:
    r"""Raise :class:`ConfigError` ``"<name> must be <allowed>, got <value>"`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")


def require_int(name: str, value: Any, minimum: int) -> None:
    r"""An integer field (not a bool) of at least ``minimum``."""
    require(is_int(value) and value >= minimum, name, f"an integer >= {minimum}", value)
