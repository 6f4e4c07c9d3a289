"""The attention-vs-rnn experiment: the GRU tagger against GRU cells stepped by hand, the
log-log slope, the interleaved timing, its comparison rule for every outcome, and its quick
mode end to end."""

import pytest
import torch

from mllab.experiments.self_attention.attention_vs_rnn import (
    RNNSettings,
    RNNTagger,
    judge_rnn,
    loglog_slope,
    time_training_steps,
)


def test_the_tagger_is_two_grus_stepped_one_token_at_a_time():
    torch.manual_seed(0)
    net = RNNTagger(vocab=6, classes=3, embedding=5, hidden=4).double()
    x = torch.randint(0, 6, (2, 7))
    cells = []
    for suffix in ("", "_reverse"):
        cell = torch.nn.GRUCell(5, 4).double()
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).data.copy_(getattr(net.rnn, f"{name}_l0{suffix}"))
        cells.append(cell)
    e = net.embedding(x)  # (B, T, E)
    forward, backward = [], [None] * 7
    h = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(7):  # T dependent steps left to right
        h = cells[0](e[:, t], h)
        forward.append(h)
    h = torch.zeros(2, 4, dtype=torch.float64)
    for t in reversed(range(7)):  # and T right to left
        h = cells[1](e[:, t], h)
        backward[t] = h
    expected = net.classifier(torch.cat([torch.stack(forward, 1), torch.stack(backward, 1)], -1))
    torch.testing.assert_close(net(x), expected)


def test_loglog_slope_recovers_the_power_of_a_power_law():
    lengths = [16, 32, 64, 128]
    assert loglog_slope(lengths, [3e-3 * T for T in lengths]) == pytest.approx(1.0)
    assert loglog_slope(lengths, [1e-5 * T**2 for T in lengths]) == pytest.approx(2.0)


def test_timing_interleaves_every_pair_and_leaves_out_the_warm_up():
    torch.manual_seed(1)
    models = {"rnn": RNNTagger(8, 4, 4, 4), "self-attention": RNNTagger(8, 4, 4, 2)}
    timing = time_training_steps(models, [4, 8], classes=4, batch=3, rounds=3, steps=1,
                                 generator=torch.Generator().manual_seed(0))
    for name in models:
        assert [len(r) for r in timing["round_seconds"][name]] == [3, 3]  # no warm-up round
        assert all(t > 0 for r in timing["round_seconds"][name] for t in r)
        assert timing["step_seconds"][name] == [sorted(r)[1] for r in
                                                timing["round_seconds"][name]]


def _metrics(rnn_far, attention_rnn_ratio):
    r"""Hand-made metrics: GRU far accuracy per repeat; GRU/attention time ratio at the longest
    T (the GRU linear in T, attention flat in T at the shorter lengths)."""
    lengths = [16, 64, 256]
    attention = [[1e-3, 1.1e-3, 1.05e-3], [1.5e-3, 1.6e-3, 1.55e-3], [4e-3, 4.2e-3, 4.1e-3]]
    rnn = [[attention[2][k] * attention_rnn_ratio * T / 256 for k in range(3)]
           for T in lengths]  # (lengths, rounds): linear in T
    return {"near_accuracy_runs": {"rnn": [0.99, 0.98, 1.0], "self-attention": [1.0, 1.0, 1.0]},
            "far_accuracy_runs": {"rnn": list(rnn_far), "self-attention": [1.0, 0.99, 1.0]},
            "far_from": 16, "parameters": {"rnn": 8804, "self-attention": 8932},
            "timing": {"lengths": lengths, "round_seconds": {"rnn": rnn,
                                                             "self-attention": attention},
                       "step_seconds": {"rnn": [r[1] for r in rnn],
                                        "self-attention": [a[1] for a in attention]}}}


@pytest.mark.parametrize(("rnn_far", "ratio", "outcomes", "verdict"), [
    ((0.6, 0.55, 0.62), 2.0, ["held"] * 5, "reproduced"),
    ((0.6, 0.55, 0.62), 0.5, ["held", "held", "held", "contradicted", "held"], "not reproduced"),
    ((0.97, 0.99, 0.93), 2.0, ["within noise", "within noise", "held", "held", "held"],
     "inconclusive"),
])
def test_judge(rnn_far, ratio, outcomes, verdict):
    evidence = judge_rnn(_metrics(rnn_far, ratio), RNNSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert "T=256: 512 vs 1" in evidence.demonstrations[0].shown  # never decides
    assert all("wall clock" in c.statistic for c in evidence.checks[3:])  # timing is excluded
    # from the seeded-metrics comparison by these words


def test_the_slope_check_is_a_least_squares_slope_per_round():
    m = _metrics((0.6, 0.55, 0.62), 2.0)
    values = judge_rnn(m, RNNSettings()).checks[4].values
    lengths = m["timing"]["lengths"]
    for k, value in enumerate(values):
        rnn = [r[k] for r in m["timing"]["round_seconds"]["rnn"]]
        attention = [a[k] for a in m["timing"]["round_seconds"]["self-attention"]]
        assert value == pytest.approx(loglog_slope(lengths, rnn) - loglog_slope(lengths, attention))
    # the GRU's times are linear in T (slope 1)
    assert values[0] == pytest.approx(1 - loglog_slope(lengths, [1e-3, 1.5e-3, 4e-3]))


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("attention-vs-rnn")
    assert set(result["metrics"]["timing"]["step_seconds"]) == {"rnn", "self-attention"}
