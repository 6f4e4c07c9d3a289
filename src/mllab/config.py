r"""Validation of configuration dataclasses: the one helper every config class uses.

Every configuration (``TrainConfig``, ``LoopConfig``, ``MLPConfig``, ``CNNConfig``, the
hyperparameters of an optimizer, a schedule, a normalization layer or a classifier, an
experiment's ``Settings``) checks its fields on construction with :func:`require`, so every
refusal reads the same way: ``<name> must be <allowed>, got <value>``.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
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


def shorten(value: Any, limit: int = 40) -> str:
    r"""``repr(value)``, cut to ``limit`` characters with the total length said, so an error
    message stays one readable line whatever was passed."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def require(ok: bool, name: str, allowed: str, value: Any) -> None:
    r"""Raise :class:`ConfigError` ``"<name> must be <allowed>, got <value>"`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"{name} must be {allowed}, got {shorten(value)}")


def require_int(name: str, value: Any, minimum: int) -> None:
    r"""An integer field (not a bool) of at least ``minimum``."""
    require(is_int(value) and value >= minimum, name, f"an integer >= {minimum}", value)


def field_docs(cls: type) -> dict[str, str]:
    r"""The docstring of each field of a dataclass: the string literal under the field in the
    class body (of ``cls`` or a base), whitespace collapsed; fields without one are left out."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            body = ast.parse(textwrap.dedent(inspect.getsource(klass))).body[0].body
        except (OSError, TypeError, IndexError, AttributeError):
            continue
        for node, after in zip(body, body[1:], strict=False):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                docs[node.target.id] = " ".join(after.value.value.split())
    return docs
