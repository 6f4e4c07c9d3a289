r"""Look of the report pages: verdict colours, verdict badges and the inline stylesheet.

Both ``report.html`` and ``index.html`` use the same colours, so a verdict reads the same
everywhere: green reproduced, red not reproduced, grey inconclusive, blue for a run that is
still running or was interrupted (its status is shown instead of a final verdict), orange for a
run whose ``result.json`` could not be read.
"""

from __future__ import annotations

from html import escape
from typing import NamedTuple

VERDICT_COLOURS: dict[str, str] = {
    "reproduced": "#1a7f37",
    "not-reproduced": "#cf222e",
    "inconclusive": "#6e7781",
    "pending": "#0969da",
    "error": "#bc4c00",
}
"""Badge background colour for each verdict class."""

_VERDICT_CLASSES = {
    "reproduced": "reproduced",
    "not reproduced": "not-reproduced",
    "inconclusive": "inconclusive",
    "error": "error",
}
PENDING_STATUSES = ("running", "interrupted")


class Verdict(NamedTuple):
    r"""How a run's outcome is shown: CSS class, badge text and an optional remark."""

    css_class: str
    label: str
    note: str = ""


def classify(verdict: object, status: object = "complete") -> Verdict:
    r"""Map a result's ``verdict`` and ``status`` to the badge that shows them.

    A run that is ``running`` or ``interrupted`` shows its status (blue), with any verdict
    so far as a remark; a complete run shows its verdict; a missing or unknown verdict is grey.
    """
    if status in PENDING_STATUSES:
        note = f"verdict so far: {verdict}" if verdict else "no verdict yet"
        return Verdict("pending", str(status), note)
    if verdict is None:
        return Verdict("inconclusive", "no verdict")
    label = str(verdict)
    return Verdict(_VERDICT_CLASSES.get(label, "inconclusive"), label)


def badge(v: Verdict, large: bool = False) -> str:
    r"""HTML of a verdict badge (a coloured pill), escaped."""
    size = " badge-large" if large else ""
    return f'<span class="badge verdict-{v.css_class}{size}">{escape(v.label)}</span>'


def _verdict_rules() -> str:
    return "\n".join(
        f".verdict-{name} {{ background: {colour}; }}" for name, colour in VERDICT_COLOURS.items()
    )


_BASE_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; padding: 2rem 1rem 3rem; background: #f6f8fa; color: #1f2328;
  font: 16px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
}
main { max-width: 68rem; margin: 0 auto; background: #fff; border: 1px solid #d0d7de;
  border-radius: 10px; padding: 2rem 2.5rem; }
h1 { margin: 0 0 .25rem; font-size: 1.9rem; line-height: 1.2; word-break: break-word; }
h2 { margin: 2.2rem 0 .75rem; font-size: 1.25rem; padding-bottom: .3rem;
  border-bottom: 1px solid #d0d7de; }
.lecture { margin: 0; color: #59636e; font-size: 1.05rem; }
.claim { margin: 1.5rem 0; padding: .9rem 1.2rem; border-left: 4px solid #8c959f;
  background: #f6f8fa; font-size: 1.15rem; }
.claim .label, .criterion .label { display: block; font-size: .75rem; font-weight: 600;
  text-transform: uppercase; letter-spacing: .06em; color: #59636e; }
.outcome { display: flex; flex-wrap: wrap; align-items: center; gap: .6rem 1.2rem; }
.badge { display: inline-block; padding: .15rem .7rem; border-radius: 999px; color: #fff;
  font-weight: 600; font-size: .9rem; white-space: nowrap; }
.badge-large { padding: .45rem 1.4rem; font-size: 1.35rem; letter-spacing: .02em; }
.note { color: #59636e; font-style: italic; }
.quick-banner { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.5em 0.8em; }
.criterion { margin: 1rem 0 0; padding: .8rem 1.2rem; background: #f6f8fa;
  border: 1px solid #d0d7de; border-radius: 6px; }
.criterion .text { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: .92rem; word-break: break-word; }
pre { margin: 0; padding: 1rem; overflow-x: auto; background: #f6f8fa;
  border: 1px solid #d0d7de; border-radius: 6px; font-size: .85rem; line-height: 1.45; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .35rem; }
th, td { border: 1px solid #d0d7de; padding: .35rem .75rem; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums;
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
td.key { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
figure { margin: 1.2rem 0 1.8rem; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid #d0d7de; border-radius: 6px; }
figcaption { margin-top: .4rem; color: #59636e; font-size: .92rem; }
.missing { display: inline-block; padding: 1.2rem 2rem; border: 2px dashed #d0d7de;
  border-radius: 6px; color: #59636e; }
footer { margin-top: 2.5rem; padding-top: 1rem; border-top: 1px solid #d0d7de;
  color: #59636e; font-size: .85rem; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0 1.5rem; }
.index-table { width: 100%; }
.index-table td.claim-cell { max-width: 26rem; }
.index-table td.criterion-cell { max-width: 22rem; font-size: .85rem; word-break: break-word; }
a { color: #0969da; }
"""


def stylesheet() -> str:
    r"""The inline CSS shared by the report and index pages."""
    return _BASE_CSS + _verdict_rules() + "\n"
