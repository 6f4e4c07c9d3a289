"""The wgan-lipschitz experiment: the critic's slope on critics of known slope, its judge on
hand-made metrics for every outcome, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.gan.wgan_lipschitz import (
    METHODS,
    LipschitzSettings,
    critic_slope,
    judge_lipschitz,
)


def test_the_slope_of_a_linear_critic_is_its_weight_norm():
    D = torch.nn.Linear(2, 1)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[3.0, 4.0]]))
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g)
    assert critic_slope(D, real, fake, g) == pytest.approx(5.0)


class HalfSquaredNorm(torch.nn.Module):
    def forward(self, x):
        return 0.5 * (x ** 2).sum(1)


def test_the_slope_is_the_largest_gradient_norm_between_the_samples():
    r"""D(x) = |x|^2 / 2 has gradient x: the slope is the largest |x_hat| of the points
    between real and fake, which lie on the segment from 0 to 2 along the first axis."""
    real = torch.tensor([[2.0, 0.0]] * 50)
    fake = torch.zeros(50, 2)
    slope = critic_slope(HalfSquaredNorm(), real, fake, torch.Generator().manual_seed(0))
    assert 1.8 < slope <= 2.0


def _run(none_first, none_last, constrained_last, gp_modes, clip_modes):
    run = {method: {"curve": [{"slope": 1.0, "modes": 8}, {"slope": constrained_last,
                                                           "modes": 8}]} for method in METHODS}
    run["none"]["curve"] = [{"slope": none_first, "modes": 2}, {"slope": none_last, "modes": 2}]
    run["gradient-penalty"]["curve"][-1]["modes"] = gp_modes
    run["clipping"]["curve"][-1]["modes"] = clip_modes
    return run


HELD = {"runs": [_run(1.0, 1e3 * k, 1.0, 8, 5) for k in (1, 2, 3, 1.5, 2.5)]}
CONTRADICTED = {"runs": [_run(1e3 * k, 1.0, 1e3, 4, 8) for k in (1, 2, 3, 1.5, 2.5)]}
NOISE = {"runs": [_run(1.0, v, v, g, 6) for v, g in
                  ((10, 8), (0.1, 4), (10, 7), (0.1, 5), (1, 6))]}


@pytest.mark.parametrize(("metrics", "outcome", "verdict"), [
    (HELD, "held", "reproduced"),
    (CONTRADICTED, "contradicted", "not reproduced"),
    (NOISE, "within noise", "inconclusive"),
])
def test_judge(metrics, outcome, verdict):
    evidence = judge_lipschitz(metrics, LipschitzSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome] * 5
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="eval_every must be <= steps = 10"):
        LipschitzSettings(steps=10, eval_every=20)
    with pytest.raises(ValueError, match="clip must be > 0"):
        LipschitzSettings(clip=0)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("wgan-lipschitz")
    assert len(result["checks"]) == 5
    run = result["metrics"]["runs"][0]
    assert set(run) == set(METHODS) and len(run["clipping"]["curve"]) == 2
    assert all(abs(w) <= 0.01 for w in run["clipping"]["weights"])  # clipped to [-c, c]
