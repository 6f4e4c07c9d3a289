"""report.html: content, escaping, embedded figures, atomic writes, bad result.json; and
index.html: one row per run, relative links, verdict counts, unreadable runs as errors."""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mllab.report import ReportError, render_index, render_report
from mllab.report.style import VERDICT_COLOURS

DATA_URI = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')

MakeResult = Callable[..., dict[str, Any]]
WriteRun = Callable[..., Path]


def test_report_shows_claim_verdict_and_criterion(run_dir: Path) -> None:
    criterion = json.loads((run_dir / "result.json").read_text())["criterion"]
    assert "<" in criterion and "&" in criterion
    path = render_report(run_dir)
    assert path == run_dir / "report.html"
    page = path.read_text(encoding="utf-8")
    assert "<title>regression-linear \u2014 Regression</title>" in page
    assert 'class="badge verdict-reproduced badge-large">reproduced</span>' in page
    assert "7 previous days predict better than 1." in page
    assert html.escape(criterion) in page
    assert "&lt;= 1e-3 &amp; valid MSE" in page
    assert criterion not in page  # the raw '<' and '&' never reach the page


def test_report_embeds_the_png_bytes(run_dir: Path) -> None:
    page = render_report(run_dir).read_text(encoding="utf-8")
    encoded = DATA_URI.findall(page)
    assert len(encoded) == 1
    assert base64.b64decode(encoded[0]) == (run_dir / "error_surface.png").read_bytes()
    assert "<figcaption>Error surface L(w, b) with the path</figcaption>" in page


def test_report_is_self_contained(run_dir: Path) -> None:
    page = render_report(run_dir).read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page
    assert "<link" not in page
    assert "<style>" in page


def test_report_shows_verdict_code(run_dir: Path) -> None:
    verdict_code = json.loads((run_dir / "result.json").read_text())["verdict_code"]
    page = render_report(run_dir).read_text(encoding="utf-8")
    assert "How the verdict is computed" in page
    code = re.search(r"<pre><code[^>]*>(.*?)</code></pre>", page, re.S)
    assert code is not None
    assert html.unescape(code.group(1)) == verdict_code.rstrip()


def test_report_tables_metrics_settings_and_footer(run_dir: Path) -> None:
    page = render_report(run_dir).read_text(encoding="utf-8")
    assert "<caption>Validation loss by model</caption>" in page
    for cell in ("1 day", "7 days", "0.3101", "0.3512", "0.1832", "0.2104", "train MSE"):
        assert f">{cell}</" in page
    assert "<h2>Metrics</h2>" in page
    assert '<td class="key">one_day.w_gd</td><td class="num">0.9712</td>' in page
    assert '<td class="key">seven_days.valid_mse</td><td class="num">0.21</td>' in page
    assert '<td class="key">gap</td><td class="num">3.1e-05</td>' in page
    assert '<td class="key">epochs</td><td class="num">3000</td>' in page
    footer = page[page.index("<footer>") :]
    for text in ("seed</dt><dd>7", "quick mode</dt><dd>no", "threads</dt><dd>2", "12.3 s"):
        assert text in footer
    assert "torch 2.13.0+cpu" in footer and "status</dt><dd>complete" in footer


def test_missing_figure_is_a_note(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun
) -> None:
    figures = [
        {"file": "error_surface.png", "caption": "present"},
        {"file": "gone.png", "caption": "absent"},
        {"file": "../../outside.png", "caption": "escapes the run folder"},
    ]
    run = write_run(tmp_path / "run", make_result(figures=figures))
    page = render_report(run).read_text(encoding="utf-8")
    assert "figure missing: gone.png" in page
    assert "figure missing: ../../outside.png (outside the run folder)" in page
    assert len(DATA_URI.findall(page)) == 1


def test_a_figure_that_is_a_symlink_loop_a_fifo_or_a_folder_is_a_note(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun
) -> None:
    figures = [{"file": name, "caption": name} for name in ("loop.png", "fifo.png", "dir.png")]
    run = write_run(tmp_path / "run", make_result(figures=figures))
    (run / "loop.png").symlink_to("loop.png")
    os.mkfifo(run / "fifo.png")  # reading it would block the report forever
    (run / "dir.png").mkdir()
    page = render_report(run).read_text(encoding="utf-8")
    assert "figure missing: loop.png (cannot be resolved)" in page
    assert "figure missing: fifo.png (not a file)" in page
    assert "figure missing: dir.png (not a file)" in page


def test_everything_is_escaped(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun
) -> None:
    evil = "<script>alert(1)</script>"
    result = make_result(
        experiment=evil,
        claim=f"claim {evil}",
        tables=[{"title": evil, "columns": [evil], "rows": [[evil]]}],
        metrics={evil: 1.0},
        settings={"name": evil},
        figures=[{"file": "x.png", "caption": evil}],
        versions={"mllab": evil},
    )
    page = render_report(write_run(tmp_path / "run", result, figure=False)).read_text()
    assert "<script" not in page
    assert html.escape(evil) in page


@pytest.mark.parametrize(
    ("status", "verdict", "label"),
    [("running", None, "running"), ("interrupted", "reproduced", "interrupted")],
)
def test_unfinished_run_shows_status(
    tmp_path: Path,
    make_result: MakeResult,
    write_run: WriteRun,
    status: str,
    verdict: str | None,
    label: str,
) -> None:
    result = make_result(status=status, verdict=verdict, criterion=None if verdict is None else "x")
    page = render_report(write_run(tmp_path / "run", result)).read_text()
    assert f'class="badge verdict-pending badge-large">{label}</span>' in page
    assert "not yet computed" in page or "verdict so far: reproduced" in page


@pytest.mark.parametrize(
    ("verdict", "css_class"),
    [("not reproduced", "not-reproduced"), ("inconclusive", "inconclusive")],
)
def test_verdict_colour_classes(
    tmp_path: Path, make_result: MakeResult, write_run: WriteRun, verdict: str, css_class: str
) -> None:
    page = render_report(write_run(tmp_path / "run", make_result(verdict=verdict))).read_text()
    assert f'class="badge verdict-{css_class} badge-large">{verdict}</span>' in page
    assert f".verdict-{css_class} {{ background: {VERDICT_COLOURS[css_class]}; }}" in page


def test_write_is_atomic(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (run_dir / "report.html").write_text("old report")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        render_report(run_dir)
    assert (run_dir / "report.html").read_text() == "old report"
    monkeypatch.undo()
    render_report(run_dir)
    assert "regression-linear" in (run_dir / "report.html").read_text()
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "error_surface.png",
        "report.html",
        "result.json",
    ]


def test_bad_result_json_writes_no_report(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text("{not json")
    with pytest.raises(ReportError, match="invalid JSON"):
        render_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_result_json_round_trip_is_unchanged(run_dir: Path) -> None:
    before = (run_dir / "result.json").read_text()
    render_report(run_dir)
    assert (run_dir / "result.json").read_text() == before
    assert json.loads(before)["verdict"] == "reproduced"


# ------------------------------------------------------------------ index.html
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
