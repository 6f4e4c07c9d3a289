r"""``verify.html``: how often the verdict and every check of an experiment agree over master
seeds, with a link to each seed's report."""

from __future__ import annotations

from html import escape
from pathlib import Path

from mllab.report.html import page, write_atomic
from mllab.report.style import badge, classify

VERIFY_FILE = "verify.html"


def render_verify(out_dir: Path, summary: dict) -> Path:
    r"""Write ``out_dir/verify.html`` from a :func:`mllab.experiments.verify.summarize`
    summary; return its path."""
    seeds = summary["seeds"]
    n = len(seeds)
    head = "".join(f'<th><a href="seed-{k}/report.html">seed {k}</a></th>' for k in seeds)
    verdicts = "".join(f"<td>{badge(classify(v))}</td>" for v in summary["verdicts"])
    rows = [f"<tr><td><b>verdict</b></td>{verdicts}<td>{summary['agree']}/{n}</td></tr>"]
    for c in summary["checks"]:
        cells = "".join(f"<td>{escape(o)}</td>" for o in c["outcomes"])
        rows.append(f"<tr><td>{escape(c['claim'])}</td>{cells}"
                    f"<td>{c['agree']}/{n} {escape(c['most_common'])}</td></tr>")
    stable = "stable" if summary["stable"] else "NOT stable"
    mode = " (quick mode: a smoke test, not the evidence)" if summary.get("quick") else ""
    body = (f"<header><h1>verify: {escape(summary['experiment'])}</h1>"
            f'<p class="lecture">{n} master seeds{escape(mode)}</p></header>'
            f"<p>Most common verdict: {badge(classify(summary['verdict']), large=True)} "
            f"{summary['agree']} of {n} seeds agree: {stable} (stable means at least 80%).</p>"
            f"<table><thead><tr><th>verdict and checks</th>{head}<th>agree</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")
    return write_atomic(out_dir / VERIFY_FILE, page(f"verify {summary['experiment']}", body))
