"""The evidence in a report: checks with their values and intervals, demonstrations apart, the
quick-mode banner, and a forest plot of every check."""

from mllab.experiments.evidence import Check, Demonstration, Evidence
from mllab.report.checks import QUICK_BANNER, checks_figure, checks_html


def _result(quick=False):
    evidence = Evidence(
        [Check("A beats B", "A minus B", [0.1, 0.2, 0.15], margin=0.01, reason="a reason <x>"),
         Check("error below tolerance", "error", [1e-6], margin=0.0, threshold=1e-3,
               below=True, reason="the tolerance")],
        [Demonstration("gradient is zero at the saddle", "|g| = 0 exactly")], notes=["time"])
    return {**evidence.to_dict(), "quick": quick}


def test_checks_show_values_intervals_margins_reasons_and_outcomes():
    html = checks_html(_result())
    assert "A beats B" in html and "0.1, 0.2, 0.15" in html and "&gt; 0 ± 0.01" in html
    assert "a reason &lt;x&gt;" in html and "held" in html and "within noise" in html
    assert "[—, —]" in html  # one repeat: no interval
    assert "never decide" in html and "gradient is zero at the saddle" in html
    assert QUICK_BANNER not in html
    assert QUICK_BANNER in checks_html(_result(quick=True))
    assert checks_html({}) == ""


def test_forest_plot_has_one_row_per_check():
    fig = checks_figure(_result()["checks"])
    assert len(fig.axes) == 2
    assert "A beats B" in fig.axes[0].get_title(loc="left")
