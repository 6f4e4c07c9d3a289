r"""Experiment reports: figures, ``report.html`` for one run, ``index.html`` for a course.

A run folder holds ``result.json`` and its PNG figures; :func:`render_report` turns it into a
self-contained page (inline CSS, figures embedded as base64, no JavaScript, no external URLs)
and :func:`render_index` lists many runs with their verdicts.

Importing this package is cheap: matplotlib is imported only when a figure is made.
"""

from mllab.report.figures import new_figure, save_png
from mllab.report.html import render_index, render_report
from mllab.report.result_file import ReportError, load_result

__all__ = [
    "ReportError",
    "load_result",
    "new_figure",
    "render_index",
    "render_report",
    "save_png",
]
