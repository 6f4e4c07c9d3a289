"""The at-vs-nat experiment: its judge on hand-made metrics (timings, exact and mixed outputs,
length accuracy, the control precondition) for every outcome; the teacher-forcing loss by hand;
settings refusals; and its quick mode end to end."""

import math

import pytest
import torch

from mllab.experiments.transformer.at_vs_nat import EOS, AtVsNatSettings, at_loss, judge_at_vs_nat


def _run(exact, mixed, **extra):
    return [{"exact": e, "mixed": m, "other": 1 - e - m, **extra}
            for e, m in zip(exact, mixed, strict=True)]


def _metrics(at_exact=(0.98, 0.99, 0.97), at_mixed=(0.0, 0.01, 0.0), nat_exact=(0.1, 0.12, 0.08),
             nat_mixed=(0.88, 0.86, 0.9), length=(0.97, 0.99, 0.98), control=(1.0, 0.99, 1.0),
             nat_64=(0.002, 0.0021, 0.0019)):
    timing = {"lengths": [8, 64],
              "at_seconds": [[0.004, 0.0042, 0.0041], [0.032, 0.033, 0.031]],
              "nat_seconds": [[0.0015, 0.0016, 0.0014], list(nat_64)],
              "at_median": [0.0041, 0.032], "nat_median": [0.0015, sorted(nat_64)[1]]}
    nat_extra = [{"length_accuracy": v, "predicted_length_kept": 1.0, "given_length_kept": 1.0}
                 for v in length]
    nat = [{**r, **x} for r, x in zip(_run(nat_exact, nat_mixed), nat_extra, strict=True)]
    return {"timing": timing,
            "runs": {"at": _run(at_exact, at_mixed), "nat": nat,
                     "nat_control": _run(control, (0.0, 0.0, 0.0))}}


@pytest.mark.parametrize(("kwargs", "outcomes", "verdict"), [
    ({}, ["held"] * 5, "reproduced"),
    ({"at_exact": (0.3, 0.32, 0.28), "at_mixed": (0.65, 0.6, 0.7),
      "nat_exact": (0.6, 0.62, 0.58), "nat_mixed": (0.35, 0.32, 0.4)},
     ["held", "held", "contradicted", "contradicted", "held"], "not reproduced"),
    ({"length": (0.5, 0.6, 0.55)}, ["held"] * 4 + ["contradicted"], "not reproduced"),
    ({"nat_64": (0.05, 0.052, 0.048)}, ["contradicted", "contradicted", "held", "held",
                                          "held"], "not reproduced"),
    ({"nat_exact": (0.9, 0.2, 0.5), "nat_mixed": (0.05, 0.7, 0.4)},
     ["held", "held", "within noise", "within noise", "held"], "inconclusive"),
    ({"control": (1.0, 0.5, 1.0)}, ["held"] * 5, "inconclusive"),  # NAT untrained
    ({"at_exact": (0.1, 0.05, 0.02), "at_mixed": (0.0, 0.0, 0.0)},  # AT untrained: "other"
     ["held", "held", "within noise", "held", "held"], "inconclusive"),
])
def test_judge(kwargs, outcomes, verdict):
    evidence = judge_at_vs_nat(_metrics(**kwargs), AtVsNatSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert all("wall clock" in c.statistic for c in evidence.checks[:2])
    assert "wall clock" in evidence.notes[0] and "1.000" in evidence.demonstrations[0].shown


def test_the_preconditions_name_an_untrained_model():
    holds = [p.holds for p in judge_at_vs_nat(_metrics(), AtVsNatSettings()).preconditions]
    assert holds == [True, True, True]
    untrained_at = _metrics(at_exact=(0.1, 0.05, 0.02), at_mixed=(0.0, 0.0, 0.0))
    holds = [p.holds for p in judge_at_vs_nat(untrained_at, AtVsNatSettings()).preconditions]
    assert holds == [True, False, True]
    untrained_nat = _metrics(nat_exact=(0.1, 0.1, 0.1), nat_mixed=(0.3, 0.3, 0.3))
    holds = [p.holds for p in judge_at_vs_nat(untrained_nat, AtVsNatSettings()).preconditions]
    assert holds == [True, True, False]


def test_the_timing_check_is_the_log_ratio_per_round():
    evidence = judge_at_vs_nat(_metrics(), AtVsNatSettings())
    assert evidence.checks[0].values[0] == pytest.approx(math.log(0.032 / 0.002))
    growth = math.log(0.032 / 0.004) - math.log(0.002 / 0.0015)
    assert evidence.checks[1].values[0] == pytest.approx(growth)


def test_at_loss_is_teacher_forced_cross_entropy_by_hand():
    from mllab.experiments.transformer.at_vs_nat import _at_model

    s = AtVsNatSettings(vocab=4, max_len=4)
    torch.manual_seed(0)
    model = _at_model(s, 4)
    src = torch.tensor([[1, 2, 3], [4, 1, 0]])
    S = torch.tensor([3, 2])
    tgt = torch.tensor([[3, 4, 5], [10, 7, 0]])
    loss = at_loss(model, src, S, tgt)
    expected, count = 0.0, 0
    for b, y in enumerate([[3, 4, 5], [10, 7]]):
        logp = model(src[b : b + 1, : int(S[b])], torch.tensor([[1, *y]])).log_softmax(-1)[0]
        for t, v in enumerate([*y, EOS]):
            expected -= logp[t, v].item()
            count += 1
    assert loss.item() == pytest.approx(expected / count, abs=1e-5)


def test_settings_refuse_bad_values():
    from mllab.config import ConfigError

    for bad in ({"min_len": 1}, {"max_len": 3}, {"exact_margin": 1.0}, {"length_accuracy": 0},
                {"timing_lengths": (8,)}, {"positional": "none"}, {"d_model": 31}):
        with pytest.raises(ConfigError):
            AtVsNatSettings(**bad)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("at-vs-nat")
    assert len(result["checks"]) == 5 and "wall clock" in result["notes"][0]
    assert result["metrics"]["runs"]["nat"][0]["given_length_kept"] == 1.0
