r"""The evidence behind a verdict in a report: the checks with their per-repeat values and
intervals, the preconditions, the demonstrations, and a forest plot of every check.

Works on the JSON form of :class:`mllab.experiments.evidence.Evidence` as ``result.json``
stores it (``checks``, ``preconditions``, ``demonstrations``, ``notes``), so a report can be
re-rendered from the file alone.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from mllab.report.formatting import format_value

QUICK_BANNER = ("Quick mode: a smoke test with few repeats. Its intervals are wide, so its "
                "verdict is weak (most often inconclusive); the full mode decides.")
_COLOURS = {"held": "#1a7f37", "contradicted": "#cf222e", "within noise": "#6e7781"}


def _number(v: Any) -> str:
    return escape(format_value(v)) if not (isinstance(v, float) and math.isinf(v)) else "—"


def _rows(checks: list[dict]) -> str:
    rows = []
    for c in checks:
        side = "<" if c.get("below") else ">"
        target = f"{side} {format_value(c.get('threshold'))}"
        if c.get("margin"):
            target += f" ± {format_value(c.get('margin'))}"
        values = ", ".join(format_value(v) for v in c.get("values", []))
        rows.append(
            f"<tr><td>{escape(str(c.get('claim', '')))}</td>"
            f"<td>{escape(str(c.get('statistic', '')))}</td>"
            f'<td class="num">{escape(values)}</td><td class="num">{_number(c.get("mean"))}</td>'
            f'<td class="num">[{_number(c.get("low"))}, {_number(c.get("high"))}]</td>'
            f'<td class="num">{escape(target)}</td><td>{escape(str(c.get("reason", "")))}</td>'
            f"<td>{escape(str(c.get('outcome', '')))}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("claim", "measured per repeat", "values", "mean",
                                              "95% interval", "claim says", "margin's reason",
                                              "outcome"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def checks_html(result: dict) -> str:
    r"""The report's evidence sections (empty for a run without checks)."""
    parts = []
    if result.get("quick"):
        parts.append(f'<p class="quick-banner">{escape(QUICK_BANNER)}</p>')
    if result.get("checks"):
        parts += ["<h2>Checks (they decide the verdict)</h2>", _rows(result["checks"])]
    if result.get("preconditions"):
        items = "".join(f"<li>{escape(p.get('statement', ''))} ({escape(p.get('shown', ''))}):"
                        f" {'holds' if p.get('holds') else 'does NOT hold'}</li>"
                        for p in result["preconditions"])
        parts += ["<h2>Preconditions (the checks need them)</h2>", f"<ul>{items}</ul>"]
    if result.get("demonstrations"):
        items = "".join(f"<li><b>{escape(d.get('statement', ''))}</b> — "
                        f"{escape(d.get('shown', ''))}</li>" for d in result["demonstrations"])
        parts += ["<h2>Demonstrations (identities and theorems; they never decide)</h2>",
                  f"<ul>{items}</ul>"]
    if result.get("notes"):
        items = "".join(f"<li>{escape(str(n))}</li>" for n in result["notes"])
        parts += ["<h2>For information</h2>", f"<ul>{items}</ul>"]
    return "\n".join(parts)


def checks_figure(checks: list[dict]):
    r"""A forest plot: one row per check, its per-repeat values (dots), mean (diamond) and
    95% interval (bar) against the claim's threshold (line) and margin (band)."""
    from mllab.report.figures import new_figure

    fig, axes = new_figure(nrows=len(checks), size=(8, 1.1 * len(checks) + 0.6))
    axes = axes if len(checks) > 1 else [axes]
    for ax, c in zip(axes, checks, strict=True):
        colour = _COLOURS.get(c["outcome"], "k")
        t, m = c["threshold"], c["margin"]
        values = c["values"]
        lo, hi = c["low"], c["high"]
        finite = [v for v in (*values, t - m, t + m, lo, hi) if math.isfinite(v)]
        span = (max(finite) - min(finite)) or 1.0
        left, right = min(finite) - 0.1 * span, max(finite) + 0.1 * span
        if m:
            ax.axvspan(t - m, t + m, color="0.9")
        ax.axvline(t, color="0.4", lw=1, ls="--")
        ax.plot(values, [0] * len(values), "o", color=colour, alpha=0.5, ms=4)
        ax.plot([max(lo, left), min(hi, right)], [0, 0], color=colour, lw=3)
        ax.plot([c["mean"]], [0], "D", color=colour, ms=7)
        ax.set_xlim(left, right)
        ax.set_yticks([])
        ax.set_title(f"{c['claim']} — {c['outcome']} ({'<' if c['below'] else '>'} threshold)",
                     fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    return fig
