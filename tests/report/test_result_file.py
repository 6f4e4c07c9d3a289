"""Reading result.json: a dict, or one line naming the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from mllab.report import ReportError, load_result


def test_a_result_is_read_as_a_dict(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text('{"verdict": "reproduced", "metrics": {"a": 1}}')
    assert load_result(tmp_path) == {"verdict": "reproduced", "metrics": {"a": 1}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "invalid JSON .* at line 1, column 2"),
        ("[1, 2, 3]", "expected a JSON object, got list"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_a_bad_result_is_one_line_naming_the_file(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    if isinstance(content, str):
        (tmp_path / "result.json").write_text(content)
    elif isinstance(content, bytes):
        (tmp_path / "result.json").write_bytes(content)
    with pytest.raises(ReportError, match=message) as info:
        load_result(tmp_path)
    assert str(info.value).startswith(str(tmp_path / "result.json"))
    assert "\n" not in str(info.value)
