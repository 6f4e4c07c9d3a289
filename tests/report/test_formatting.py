"""Value formatting, metric flattening and durations."""

from __future__ import annotations

import pytest

from mllab.report.formatting import MAX_LIST_ITEMS, flatten, format_duration, format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.9712345, "0.9712"),
        (3.1e-05, "3.1e-05"),
        (123456.0, "1.235e+05"),
        (3000, "3000"),
        (True, "true"),
        (None, "\u2014"),
        ("1 day", "1 day"),
        ([0.5, 2], "[0.5, 2]"),
        (float("nan"), "nan"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_format_value_shortens_long_lists() -> None:
    text = format_value(list(range(100)))
    assert text.count(",") == MAX_LIST_ITEMS
    assert "100 values" in text


def test_flatten_nested_metrics_to_dotted_keys() -> None:
    metrics = {"one_day": {"w_gd": 0.97, "inner": {"x": 1}}, "gap": 3.1e-05, "empty": {}}
    assert list(flatten(metrics)) == [
        ("one_day.w_gd", 0.97),
        ("one_day.inner.x", 1),
        ("gap", 3.1e-05),
        ("empty", {}),
    ]


def test_flatten_non_mapping_is_one_leaf() -> None:
    assert list(flatten(4.0)) == [("value", 4.0)]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(12.3, "12.3 s"), (0.25, "0.25 s"), (245.0, "4 min 05 s"), (7380.0, "2 h 03 min")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
