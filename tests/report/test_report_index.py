"""index.html: one row per run, relative links, verdict counts, unreadable runs as errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mllab.report import render_index

MakeResult = Callable[..., dict[str, Any]]
WriteRun = Callable[..., Path]


def _counts(page: str) -> dict[str, int]:
    block = page[page.index('<div class="counts">') :]
    block = block[: block.index("</div>")]
    return {k: int(v) for k, v in re.findall(r">([a-z ]+): (\d+)</span>", block)}


def test_index_rows_links_and_counts(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun
) -> None:
    runs = [
        write_run(tmp_path / "runs" / "regression" / "t0-s0", make_result(), figure=False),
        write_run(
            tmp_path / "runs" / "adaptive lr" / "t1-s0",
            make_result(experiment="adaptive-lr", verdict="not reproduced", duration_s=245.0),
            figure=False,
        ),
        write_run(
            tmp_path / "runs" / "third",
            make_result(experiment="third", verdict="reproduced", claim="a < b & c"),
            figure=False,
        ),
        tmp_path / "runs" / "broken",
    ]
    runs[-1].mkdir()
    (runs[-1] / "result.json").write_text("{oops")
    out = tmp_path / "site"
    path = render_index(out, runs, title="ML <course>")
    assert path == out / "index.html"
    page = path.read_text(encoding="utf-8")

    assert "<h1>ML &lt;course&gt;</h1>" in page
    assert page.count("<tr>") == 1 + len(runs)  # header row + one per run
    hrefs = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    assert hrefs == [
        ("../runs/regression/t0-s0/report.html", "regression-linear"),
        ("../runs/adaptive%20lr/t1-s0/report.html", "adaptive-lr"),
        ("../runs/third/report.html", "third"),
    ]
    for href, _ in hrefs:
        assert (out / href.replace("%20", " ")).resolve().parent.exists()
    assert _counts(page) == {
        "reproduced": 2,
        "not reproduced": 1,
        "inconclusive": 0,
        "error": 1,
    }
    assert 'class="badge verdict-not-reproduced">not reproduced</span>' in page
    assert "a &lt; b &amp; c" in page
    assert "4 min 05 s" in page
    assert "Regression" in page


def test_unreadable_run_is_listed_as_error(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun
) -> None:
    missing = tmp_path / "never-ran"
    page = render_index(tmp_path / "site", [missing]).read_text()
    assert 'class="badge verdict-error">error</span>' in page
    assert "never-ran" in page and "no such file" in page
    assert "<h1>mllab course</h1>" in page


def test_unfinished_runs_are_counted_by_status(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun
) -> None:
    runs = [
        write_run(tmp_path / "a", make_result(status="running", verdict=None), figure=False),
        write_run(tmp_path / "b", make_result(status="interrupted"), figure=False),
    ]
    page = render_index(tmp_path, runs).read_text()
    assert _counts(page) == {
        "reproduced": 0,
        "not reproduced": 0,
        "inconclusive": 0,
        "interrupted": 1,
        "running": 1,
    }
    assert re.findall(r'<a href="([^"]+)"', page) == ["a/report.html", "b/report.html"]
    assert 'class="badge verdict-pending">running</span>' in page
