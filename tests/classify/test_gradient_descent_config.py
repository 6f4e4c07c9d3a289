"""Tests for mllab.classify.GradientDescentConfig: defaults and validation messages."""

from __future__ import annotations

import math

import pytest

from mllab.classify import GradientDescentConfig


def test_defaults() -> None:
    c = GradientDescentConfig()
    assert (c.lr, c.epochs, c.l2) == (0.1, 1000, 0.0)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("lr", 0.0, "> 0"),
        ("lr", math.nan, "> 0"),
        ("lr", True, "> 0"),
        ("epochs", 0, ">= 1"),
        ("epochs", 10.0, ">= 1"),
        ("epochs", True, ">= 1"),
        ("l2", -0.5, ">= 0"),
        ("l2", math.inf, ">= 0"),
    ],
)
def test_bad_values_name_the_field_and_the_allowed_range(
    field: str, value: object, allowed: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be .*{allowed}, got {value!r}$"):
        GradientDescentConfig(**{field: value})
