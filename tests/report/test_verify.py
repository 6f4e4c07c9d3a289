"""verify.html: the verdict and every check per seed, linked to the seeds' reports."""

from mllab.report.verify import render_verify


def test_verify_page_lists_every_seed_and_the_agreement(tmp_path):
    summary = {"experiment": "x<y", "seeds": [0, 1], "verdicts": ["reproduced", "inconclusive"],
               "verdict": "reproduced", "agree": 1, "stable": False, "quick": True,
               "checks": [{"claim": "a & b", "outcomes": ["held", "within noise"],
                           "most_common": "held", "agree": 1}]}
    page = render_verify(tmp_path, summary).read_text()
    assert "x&lt;y" in page and "a &amp; b" in page and 'href="seed-1/report.html"' in page
    assert "NOT stable" in page and "quick mode" in page and "1/2" in page
