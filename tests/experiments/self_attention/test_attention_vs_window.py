"""The attention-vs-window experiment: the window network sees exactly its window, its comparison
rule for every outcome, and its quick mode end to end."""

import pytest
import torch
import torch.nn.functional as F

from mllab.experiments.self_attention.attention_vs_window import (
    WindowNetwork,
    WindowSettings,
    judge_window,
    token_cross_entropy,
)


def test_the_window_network_is_an_mlp_on_the_concatenated_one_hot_window():
    torch.manual_seed(0)
    net = WindowNetwork(vocab=5, classes=3, window=2, width=8)
    x = torch.randint(0, 5, (4, 9))
    out = net(x)
    assert out.shape == (4, 9, 3)
    for t in range(9):
        ids = [x[:, s] if 0 <= s < 9 else torch.full((4,), 5) for s in range(t - 2, t + 3)]
        features = torch.cat([F.one_hot(i, 6).float() for i in ids], dim=1)  # (B, 5 * 6)
        torch.testing.assert_close(out[:, t], net.mlp(features))


def test_the_window_network_never_sees_outside_its_window():
    torch.manual_seed(1)
    net = WindowNetwork(vocab=4, classes=2, window=1, width=8)
    x = torch.randint(0, 4, (1, 10))
    changed = x.clone()
    changed[0, 7] = (x[0, 7] + 1) % 4
    diff = (net(x) - net(changed)).abs().sum(-1)[0]  # (T,)
    assert torch.equal(diff[:6], torch.zeros(6)) and diff[9] == 0  # positions 6..8 see token 7
    assert (diff[6:9] > 0).all()


def test_token_cross_entropy_averages_over_every_position():
    logits, y = torch.randn(3, 5, 4), torch.randint(0, 4, (3, 5))
    torch.testing.assert_close(token_cross_entropy(logits, y),
                               F.cross_entropy(logits.transpose(1, 2), y))


def _metrics(attention_far):
    return {"far_accuracy_runs": {"window network": [0.25, 0.26, 0.24],
                                  "self-attention": list(attention_far)},
            "near_accuracy_runs": {"window network": [0.99, 1.0, 0.98],
                                   "self-attention": [1.0, 1.0, 1.0]},
            "chance": 0.25, "parameters": {"window network": 7364, "self-attention": 8932}}


@pytest.mark.parametrize(("attention_far", "outcome", "verdict"), [
    ((0.97, 0.99, 0.98), "held", "reproduced"),
    ((0.10, 0.12, 0.11), "contradicted", "not reproduced"),  # below the window network
    ((0.30, 0.36, 0.33), "within noise", "inconclusive"),  # above, but not by the margin 0.1
])
def test_judge(attention_far, outcome, verdict):
    evidence = judge_window(_metrics(attention_far), WindowSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome, "held"]
    assert evidence.verdict() == verdict
    assert "0.2500" in evidence.demonstrations[0].shown  # chance by construction never decides


def test_settings_refuse_a_window_that_covers_every_position():
    from mllab.config import ConfigError

    with pytest.raises(ConfigError, match="window"):
        WindowSettings(length=5, window=4).validate()


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("attention-vs-window")
    assert set(result["metrics"]["far_accuracy_runs"]) == {"window network", "self-attention"}
