"""Noise schedules: linear and cosine betas against diffusers' DDPMScheduler, alpha_bar as the
cumulative product by hand, sigma_t against diffusers' fixed_small / fixed_large variances."""

import math

import pytest
import torch
from diffusers import DDPMScheduler

from mllab.config import ConfigError
from mllab.diffusion import NoiseSchedule, cosine_betas, linear_betas


def test_linear_betas_equal_diffusers():
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear")
    assert torch.equal(linear_betas(1000), ref.betas)
    assert linear_betas(1000)[0].item() == pytest.approx(1e-4)
    assert linear_betas(1000)[-1].item() == pytest.approx(0.02)


def test_cosine_betas_equal_diffusers_and_the_paper_s_alpha_bar():
    ref = DDPMScheduler(num_train_timesteps=200, beta_schedule="squaredcos_cap_v2")
    assert torch.allclose(cosine_betas(200), ref.betas, rtol=1e-6, atol=0)
    # ᾱ_t = f(t)/f(0) (Eq. 17) wherever the clip at 0.999 did not act
    beta = cosine_betas(200, dtype=torch.float64)
    f = [math.cos((t / 200 + 0.008) / 1.008 * math.pi / 2) ** 2 for t in range(201)]
    alpha_bar = torch.cumprod(1 - beta, 0)
    assert alpha_bar[:150].tolist() == pytest.approx([f[t + 1] / f[0] for t in range(150)],
                                                     rel=1e-10)
    assert beta.max().item() == pytest.approx(0.999)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_alpha_bar_is_the_cumulative_product(kind):
    s = NoiseSchedule.make(kind, T=50, dtype=torch.float64)
    prod, expected = 1.0, []
    for b in s.beta.tolist():
        prod *= 1 - b
        expected.append(prod)
    assert s.alpha_bar.tolist() == pytest.approx(expected, rel=1e-12)
    assert s.alpha_bar_prev[0].item() == 1.0
    assert torch.equal(s.alpha_bar_prev[1:], s.alpha_bar[:-1])
    assert torch.equal(s.alpha, 1 - s.beta)


@pytest.mark.parametrize(("sigma", "variance_type"), [("beta_tilde", "fixed_small"),
                                                      ("beta", "fixed_large")])
def test_sigma_equals_diffusers_variance(sigma, variance_type):
    ref = DDPMScheduler(num_train_timesteps=100, variance_type=variance_type)
    s = NoiseSchedule.make("linear", T=100, sigma=sigma)
    variance = torch.stack([ref._get_variance(t) for t in range(1, 100)])
    # diffusers takes β_t back as 1 - ᾱ_t/ᾱ_{t-1} in float32: absolute rounding near 1e-7
    assert torch.allclose(s.sigma[1:] ** 2, variance, rtol=0, atol=2e-7)
    if sigma == "beta_tilde":
        assert s.sigma[0].item() == 0.0  # β̃ at the first step: ᾱ_{t-1} = 1


def test_validation():
    with pytest.raises(ConfigError, match="kind"):
        NoiseSchedule.make("quadratic")
    with pytest.raises(ConfigError, match="sigma"):
        NoiseSchedule.make("linear", sigma="learned")
    with pytest.raises(ConfigError, match="beta"):
        NoiseSchedule.from_betas(torch.tensor([0.1, 1.0]))
    with pytest.raises(ConfigError, match="T"):
        linear_betas(0)
