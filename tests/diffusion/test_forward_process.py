"""The forward process: q_sample's moments in float64, q_sample against diffusers' add_noise,
Eq. 15 inverting Eq. 4, and Eq. 7's posterior mean against Bayes' rule for Gaussians."""

import pytest
import torch
from diffusers import DDPMScheduler

from mllab.diffusion import NoiseSchedule, posterior_mean, predicted_x0, q_sample


def test_q_sample_moments_in_float64():
    s = NoiseSchedule.make("cosine", T=100, dtype=torch.float64)
    n, x0 = 400_000, torch.tensor([1.5, -2.0], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    for t in (0, 40, 99):
        xt = q_sample(s, x0.expand(n, 2), torch.full((n,), t), generator=g)
        ab = s.alpha_bar[t].item()
        se = (1 - ab) ** 0.5 / n ** 0.5
        assert (xt.mean(0) - ab ** 0.5 * x0).abs().max().item() < 5 * se  # √ᾱ_t x_0
        assert xt.var(0).tolist() == pytest.approx([1 - ab] * 2, rel=0.01)  # 1 - ᾱ_t
        cov = torch.cov(xt.T)[0, 1].item()
        assert abs(cov) < 5 * (1 - ab) / n ** 0.5


def test_q_sample_equals_diffusers_add_noise():
    ref = DDPMScheduler(num_train_timesteps=1000)
    s = NoiseSchedule.make("linear", T=1000)
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(16, 1, 8, 8, generator=g), torch.randn(16, 1, 8, 8, generator=g)
    t = torch.randint(0, 1000, (16,), generator=g)
    assert torch.allclose(q_sample(s, x0, t, noise=eps), ref.add_noise(x0, eps, t),
                          rtol=0, atol=1e-6)
    same = q_sample(s, x0, t, generator=torch.Generator().manual_seed(5))
    eps5 = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(5))
    assert torch.equal(same, q_sample(s, x0, t, noise=eps5))
    with pytest.raises(ValueError, match="generator"):
        q_sample(s, x0, t)


def test_predicted_x0_inverts_q_sample():
    s = NoiseSchedule.make("linear", T=50, dtype=torch.float64)
    g = torch.Generator().manual_seed(2)
    x0, eps = torch.randn(8, 3, dtype=torch.float64, generator=g), \
        torch.randn(8, 3, dtype=torch.float64, generator=g)
    t = torch.arange(8) * 7
    assert torch.allclose(predicted_x0(s, q_sample(s, x0, t, noise=eps), t, eps), x0,
                          rtol=0, atol=1e-12)


def test_posterior_mean_is_bayes_rule_for_the_two_gaussians():
    # q(x_{t-1} | x_0) = N(√ᾱ_{t-1} x_0, 1-ᾱ_{t-1}) and q(x_t | x_{t-1}) = N(√α_t x_{t-1}, β_t):
    # the posterior precision is the sum of precisions, its mean the precision-weighted one
    s = NoiseSchedule.make("linear", T=30, dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    x0, xt = torch.randn(29, 2, dtype=torch.float64, generator=g), \
        torch.randn(29, 2, dtype=torch.float64, generator=g)
    t = torch.arange(1, 30)
    ab_prev, a, b = s.alpha_bar_prev[t, None], s.alpha[t, None], s.beta[t, None]
    precision = 1 / (1 - ab_prev) + a / b
    mean = (ab_prev.sqrt() * x0 / (1 - ab_prev) + a.sqrt() * xt / b) / precision
    assert torch.allclose(posterior_mean(s, x0, xt, t), mean, rtol=0, atol=1e-12)
    # and its variance is β̃_t, the sampler's σ_t² for sigma="beta_tilde"
    assert torch.allclose(s.sigma[t] ** 2, 1 / precision[:, 0], rtol=1e-10)
