r"""Self-contained HTML pages: ``report.html`` for one run and ``index.html`` for many.

A report shows, top to bottom: the experiment and its lecture, the claim, the verdict as a
coloured badge, the criterion with its measured numbers, a banner in quick mode, the checks
(per-repeat values, interval, margin and its reason), preconditions, demonstrations and
notes (:mod:`mllab.report.checks`), the code that computed the verdict,
the result tables, the metrics (nested keys flattened to dotted names), the figures with their
captions, the settings, and a footer with seed, quick mode, threads, versions, duration and
status.

Pages carry their CSS inline and embed figures as base64 ``data:`` URIs: one file that opens
anywhere, offline, with no JavaScript and no external URL. Every value from ``result.json`` is
HTML-escaped. Pages are written atomically (temporary file in the same folder, then
``os.replace``), so a reader never sees half a page.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mllab.report.checks import checks_html
from mllab.report.formatting import flatten, format_duration, format_value
from mllab.report.result_file import ReportError, load_result
from mllab.report.style import Verdict, badge, classify, stylesheet

REPORT_FILE = "report.html"
INDEX_FILE = "index.html"
_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
_COUNT_ORDER = ("reproduced", "not reproduced", "inconclusive")


def render_report(run_dir: str | Path) -> Path:
    r"""Render ``run_dir/result.json`` (and its figures) to ``run_dir/report.html``.

    Args:
        run_dir: A run folder holding ``result.json`` and the figure files it names.

    Returns:
        The path of the written ``report.html``.

    Raises:
        ReportError: If ``result.json`` is missing, is not valid JSON or is not an object.
    """
    run_dir = Path(run_dir)
    result = load_result(run_dir)
    experiment = str(result.get("experiment") or run_dir.name)
    lecture = str(result.get("lecture") or "")
    body = "\n".join(
        [
            f"<header><h1>{escape(experiment)}</h1>"
            f'<p class="lecture">Lecture: {escape(lecture)}</p></header>',
            f'<p class="claim"><span class="label">Claim</span>{_text(result.get("claim"))}</p>',
            _outcome(result),
            _status(result, run_dir),
            checks_html(result),
            "<h2>How the verdict is computed</h2>" if result.get("verdict") is not None
            or result.get("status") != "complete" else "<h2>How the checks are computed</h2>",
            _code_block(result.get("verdict_code")),
            _result_tables(result.get("tables")),
            "<h2>Metrics</h2>",
            _key_value_table(result.get("metrics"), ("metric", "value")),
            _figures(run_dir, result.get("figures")),
            "<h2>Settings</h2>",
            _key_value_table(result.get("settings"), ("setting", "value")),
            _footer(result),
        ]
    )
    title = f"{experiment} \u2014 {lecture}" if lecture else experiment
    return write_atomic(run_dir / REPORT_FILE, page(title, body))


def render_index(
    out_dir: str | Path, run_dirs: Sequence[str | Path], title: str = "mllab course",
    stability: dict[str, str | None] | None = None,
) -> Path:
    r"""Write ``out_dir/index.html``: one table row per run, with verdict counts on top.

    Each row shows lecture, experiment (linked to the run's ``report.html`` by a path relative
    to ``out_dir``), claim, verdict, mode (quick: a smoke test with few repeats; full),
    stability over master seeds where ``mllab verify`` has been run, criterion and duration.
    A run whose ``result.json`` cannot be read is listed with the verdict ``error`` and the
    reason in its criterion cell.

    Args:
        out_dir: Folder of the index; created if missing.
        run_dirs: Run folders, listed in this order.
        title: Page heading.
        stability: experiment name -> what ``mllab verify`` found, e.g. ``"5/5 stable"``.

    Returns:
        The path of the written ``index.html``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [_index_row(out_dir, Path(d), stability or {}) for d in run_dirs]
    counts = Counter(row[0].label for row in rows)
    head = "".join(
        f"<th>{h}</th>"
        for h in ("lecture", "experiment", "claim", "verdict", "mode", "stability", "criterion",
                  "duration")
    )
    body = "\n".join(
        [
            f"<header><h1>{escape(title)}</h1>"
            f'<p class="lecture">{len(rows)} run{"" if len(rows) == 1 else "s"}</p></header>',
            _counts(counts),
            f'<table class="index-table"><thead><tr>{head}</tr></thead><tbody>',
            *(row[1] for row in rows),
            "</tbody></table>",
        ]
    )
    return write_atomic(out_dir / INDEX_FILE, page(title, body))


# --- report sections -------------------------------------------------------------------------


def _outcome(result: dict[str, Any]) -> str:
    v = classify(result.get("verdict"), result.get("status", "complete"))
    note = f'<span class="note">{escape(v.note)}</span>' if v.note else ""
    criterion = result.get("criterion")
    crit = _text(criterion) if criterion else '<span class="note">not yet computed</span>'
    return (
        f'<section class="outcome-section"><div class="outcome">{badge(v, large=True)}{note}'
        f'</div><p class="criterion"><span class="label">Criterion</span>'
        f'<span class="text">{crit}</span></p></section>'
    )


def _status(result: dict[str, Any], run_dir: Path) -> str:
    r"""What happened to a run that did not complete: progress so far and how to go on, or
    the error that stopped it."""
    status = result.get("status")
    if status == "complete":
        return ""
    progress = result.get("progress") if isinstance(result.get("progress"), dict) else {}
    done = (f"{progress.get('trials_done')} of {progress.get('trials_planned')} trials done. "
            if progress else "")
    error = f"Error: {result['error']}. " if result.get("error") else ""
    resume = f"Continue with: mllab resume {run_dir}"
    text = {"failed": f"The run failed. {error}{done}After fixing the cause: {resume}",
            "interrupted": f"The run was interrupted. {error}{done}{resume}",
            "running": f"The run is running, or was killed. {done}{resume}"}.get(
                str(status), f"Unknown status {status!r}.")
    return f'<p class="quick-banner run-status">{escape(text)}</p>'


def _code_block(code: Any) -> str:
    if not code:
        return '<p class="note">The verdict code was not recorded.</p>'
    return f'<pre><code class="language-python">{escape(str(code).rstrip())}</code></pre>'


def _result_tables(tables: Any) -> str:
    if not isinstance(tables, list) or not tables:
        return ""
    parts = ["<h2>Results</h2>"]
    for table in tables:
        if not isinstance(table, dict):
            continue
        parts.append(
            _table(table.get("columns") or [], table.get("rows") or [], caption=table.get("title"))
        )
    return "\n".join(parts)


def _key_value_table(tree: Any, columns: tuple[str, str]) -> str:
    if tree is None or tree == {}:
        return '<p class="note">none recorded</p>'
    return _table(columns, list(flatten(tree)), key_column=True)


def _figures(run_dir: Path, figures: Any) -> str:
    if not isinstance(figures, list) or not figures:
        return ""
    parts = ["<h2>Figures</h2>"]
    for fig in figures:
        entry = fig if isinstance(fig, dict) else {"file": fig}
        name = str(entry.get("file") or "")
        caption = str(entry.get("caption") or name)
        uri, problem = _data_uri(run_dir, name)
        if uri is None:
            content = f'<div class="missing">figure missing: {escape(name)} ({problem})</div>'
        else:
            content = f'<img src="{uri}" alt="{escape(caption)}">'
        parts.append(f"<figure>{content}<figcaption>{escape(caption)}</figcaption></figure>")
    return "\n".join(parts)


def _data_uri(run_dir: Path, name: str) -> tuple[str | None, str]:
    r"""Read figure ``name`` inside ``run_dir`` as a base64 data URI, or say why not."""
    if not name:
        return None, "no file name"
    try:
        path = (run_dir / name).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None, "cannot be resolved"
    if not path.is_relative_to(run_dir.resolve()):
        return None, "outside the run folder"
    if path.exists() and not path.is_file():  # a folder, or a FIFO that would block
        return None, "not a file"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "no such file"
    except OSError as err:
        return None, err.strerror or "cannot read"
    mime = _IMAGE_TYPES.get(path.suffix.lower(), "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", ""


def _footer(result: dict[str, Any]) -> str:
    versions = result.get("versions")
    if isinstance(versions, dict):
        versions_text = " \u00b7 ".join(f"{k} {format_value(v)}" for k, v in versions.items())
    else:
        versions_text = format_value(versions)
    quick = result.get("quick")
    items = [
        ("seed", format_value(result.get("seed"))),
        ("quick mode", "yes" if quick else "no" if quick is not None else format_value(None)),
        ("threads", format_value(result.get("threads"))),
        ("versions", versions_text),
        ("duration", format_duration(result.get("duration_s"))),
        ("status", format_value(result.get("status"))),
    ]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f"<footer><dl>{rows}</dl></footer>"


# --- index -----------------------------------------------------------------------------------


def _index_row(out_dir: Path, run_dir: Path, stability: dict) -> tuple[Verdict, str]:
    try:
        result = load_result(run_dir)
    except ReportError as err:
        v = Verdict("error", "error")
        cells = ["", escape(run_dir.name), "", badge(v), "", "", escape(str(err)), ""]
    else:
        v = classify(result.get("verdict"), result.get("status", "complete"))
        link = os.path.relpath(run_dir / REPORT_FILE, out_dir).replace(os.sep, "/")
        name = escape(str(result.get("experiment") or run_dir.name))
        cells = [
            _text(result.get("lecture")),
            f'<a href="{escape(quote(link))}">{name}</a>',
            _text(result.get("claim")),
            badge(v),
            "quick: smoke test, few repeats" if result.get("quick") else "full",
            _text(stability.get(str(result.get("experiment"))) or "not verified"),
            _text(result.get("criterion")),
            escape(format_duration(result.get("duration_s"))),
        ]
    classes = ("", "", ' class="claim-cell"', "", "", "", ' class="criterion-cell"',
               ' class="num"')
    tds = "".join(f"<td{c}>{cell}</td>" for c, cell in zip(classes, cells, strict=True))
    return v, f"<tr>{tds}</tr>"


def _counts(counts: Counter[str]) -> str:
    order = list(_COUNT_ORDER) + sorted(set(counts) - set(_COUNT_ORDER))
    pills = []
    for label in order:
        v = classify(label) if label in _COUNT_ORDER else _label_verdict(label)
        pills.append(badge(Verdict(v.css_class, f"{label}: {counts.get(label, 0)}")))
    return f'<div class="counts">{"".join(pills)}</div>'


def _label_verdict(label: str) -> Verdict:
    if label in ("running", "interrupted"):
        return classify(None, label)
    if label == "error":
        return Verdict("error", label)
    return classify(label)


# --- building blocks -------------------------------------------------------------------------


def _text(v: Any) -> str:
    return escape(format_value(v)) if v is not None else ""


def _table(
    columns: Iterable[Any], rows: Iterable[Any], caption: Any = None, key_column: bool = False
) -> str:
    cap = f"<caption>{escape(str(caption))}</caption>" if caption else ""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = row if isinstance(row, (list, tuple)) else [row]
        tds = []
        for i, cell in enumerate(cells):
            if key_column:  # a key column, then values set in monospace
                cls = ' class="key"' if i == 0 else ' class="num"'
            else:
                numeric = isinstance(cell, (int, float)) and not isinstance(cell, bool)
                cls = ' class="num"' if numeric else ""
            tds.append(f"<td{cls}>{escape(format_value(cell))}</td>")
        body.append(f"<tr>{''.join(tds)}</tr>")
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{stylesheet()}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_atomic(path: Path, text: str) -> Path:
    r"""Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
