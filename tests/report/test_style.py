"""Verdict badges: one colour per verdict class, the status while a run is unfinished."""

from mllab.report.style import VERDICT_COLOURS, Verdict, badge, classify, stylesheet


def test_each_verdict_gets_its_class_and_unfinished_runs_their_status():
    assert classify("reproduced") == Verdict("reproduced", "reproduced")
    assert classify("not reproduced").css_class == "not-reproduced"
    assert classify("inconclusive").css_class == "inconclusive"
    assert classify(None) == Verdict("inconclusive", "no verdict")
    assert classify("maybe").css_class == "inconclusive"
    running = classify("reproduced", "running")
    assert running == Verdict("pending", "running", "verdict so far: reproduced")
    assert classify(None, "interrupted").note == "no verdict yet"


def test_badges_are_escaped_and_every_class_has_a_colour():
    assert badge(Verdict("error", "<b>")) == '<span class="badge verdict-error">&lt;b&gt;</span>'
    assert "badge-large" in badge(classify("reproduced"), large=True)
    css = stylesheet()
    for css_class, colour in VERDICT_COLOURS.items():
        assert f".verdict-{css_class} {{ background: {colour}; }}" in css
