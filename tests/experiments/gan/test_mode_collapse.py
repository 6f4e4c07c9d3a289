"""The mode-collapse experiment: its judge on hand-made metrics for every outcome, the
precondition that the GANs learned, the kept checkpoint's choice, and its quick mode end to
end."""

import copy

import pytest

from mllab.experiments.gan.mode_collapse import (
    ModeCollapseSettings,
    judge_mode_collapse,
    kept_checkpoint,
)


def _curve(last, best=None, hq=0.9):
    r"""A coverage curve ending at ``last`` modes and a high-quality share ``hq``, with
    ``best`` modes (selection and test) at its first point."""
    best = last if best is None else best
    return [{"step": 100, "modes_select": best, "hq_select": 0.9, "modes": best, "hq": 0.9},
            {"step": 200, "modes_select": last, "hq_select": hq, "modes": last, "hq": hq}]


def _metrics(vanilla, wgan, sn, kept):
    r"""Per repeat: vanilla's, WGAN-GP's and SN's last (ring, grid) modes, vanilla's kept."""
    runs = []
    for v, w, n, k in zip(vanilla, wgan, sn, kept, strict=True):
        runs.append({x: {"vanilla": {"curve": _curve(v[i], k[i])},
                         "wgan_gp": {"curve": _curve(w[i])}, "sn": {"curve": _curve(n[i])}}
                     for i, x in enumerate(("ring", "grid"))})
    return {"runs": runs}


HELD = _metrics([(2, 8), (3, 6), (2, 7), (1, 9), (2, 8)], [(8, 24), (7, 25), (8, 23),
                                                            (8, 25), (7, 24)],
                [(8, 22), (7, 23), (8, 24), (6, 25), (8, 22)],
                [(6, 15), (5, 16), (7, 14), (6, 18), (6, 15)])
CONTRADICTED = _metrics([(8, 25)] * 5, [(3, 10), (2, 12), (3, 9), (4, 10), (2, 11)],
                        [(3, 10), (2, 12), (3, 9), (4, 10), (2, 11)], [(8, 25)] * 5)
NOISE = _metrics([(4, 15), (8, 25), (2, 10), (7, 20), (3, 12)], [(8, 25), (4, 13), (8, 24),
                                                                  (5, 18), (6, 20)],
                 [(8, 25), (4, 13), (8, 24), (5, 18), (6, 20)],
                 [(8, 25), (8, 25), (2, 10), (7, 20), (6, 20)])


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (HELD, ["held"] * 4, "reproduced"),
    (CONTRADICTED, ["contradicted"] * 3 + ["within noise"], "not reproduced"),
    (NOISE, ["within noise"] * 4, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_mode_collapse(metrics, ModeCollapseSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert [p.holds for p in evidence.preconditions] == [True]


def test_untrained_gans_cannot_decide():
    metrics = copy.deepcopy(HELD)
    for run in metrics["runs"]:
        for method, series in run["grid"].items():
            series["curve"][-1]["hq"] = 0.4 if method == "wgan_gp" else 0.1
    evidence = judge_mode_collapse(metrics, ModeCollapseSettings())
    assert [c.outcome() for c in evidence.checks] == ["held"] * 4
    assert [p.holds for p in evidence.preconditions] == [False]
    assert "grid: lowest 0.40" in evidence.preconditions[0].shown
    assert evidence.verdict() == "inconclusive"


def test_the_kept_checkpoint_is_chosen_on_the_selection_draw_and_ties_go_earlier():
    curve = [{"step": 1, "modes_select": 5, "hq_select": 0.5, "modes": 3, "hq": 0.5},
             {"step": 2, "modes_select": 7, "hq_select": 0.5, "modes": 4, "hq": 0.5},
             {"step": 3, "modes_select": 7, "hq_select": 0.5, "modes": 8, "hq": 0.5},
             {"step": 4, "modes_select": 6, "hq_select": 0.9, "modes": 8, "hq": 0.9}]
    kept = kept_checkpoint(curve)
    assert kept["step"] == 2 and kept["modes"] == 4  # its test number, not the best test one


def test_settings_ranges():
    with pytest.raises(ValueError, match="eval_every must be <= steps"):
        ModeCollapseSettings(steps=10, eval_every=20)
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        ModeCollapseSettings(min_count=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("mode-collapse")
    assert len(result["checks"]) == 4
    curve = result["metrics"]["runs"][0]["ring"]["vanilla"]["curve"]
    assert [p["step"] for p in curve] == [20, 40, 60]
