"""Algorithm 2: a step with z = 0 equals the posterior mean of Eq. 7 at Eq. 15's x_0; one step
and the whole loop against diffusers' DDPMScheduler with the same denoiser and noise.

diffusers takes β_t back as 1 - ᾱ_t/ᾱ_{t-1}, which float32 rounds badly at small t (β_1 = 1e-4
from a ratio near 1: a 2e-4 difference in x_{t-1}); the parity tests therefore give its
scheduler float64 tensors (its own formulas, the same β_t), and ours a float64 schedule."""

import pytest
import torch
from diffusers import DDPMScheduler

from mllab.diffusion import (
    MLPDenoiser,
    NoiseSchedule,
    ddpm_sample,
    posterior_mean,
    predicted_x0,
    sampler_step,
)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_a_step_without_noise_is_the_posterior_mean(kind):
    s = NoiseSchedule.make(kind, T=100, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    xt, eps = torch.randn(6, 2, dtype=torch.float64, generator=g), \
        torch.randn(6, 2, dtype=torch.float64, generator=g)
    for t in (0, 1, 50, 99):
        tb = torch.full((6,), t)
        mu = posterior_mean(s, predicted_x0(s, xt, tb, eps), xt, tb)
        assert torch.allclose(sampler_step(s, xt, t, eps), mu, rtol=0, atol=1e-12)
        z = torch.randn(6, 2, dtype=torch.float64, generator=g)
        assert torch.allclose(sampler_step(s, xt, t, eps, z), mu + s.sigma[t] * z, atol=1e-12)


def _float64(ref: DDPMScheduler) -> DDPMScheduler:
    ref.betas = ref.betas.double()
    ref.alphas = 1.0 - ref.betas
    ref.alphas_cumprod = torch.cumprod(ref.alphas, dim=0)
    ref.one = torch.tensor(1.0, dtype=torch.float64)
    return ref


def _schedule(ref: DDPMScheduler, sigma: str = "beta_tilde") -> NoiseSchedule:
    return NoiseSchedule.from_betas(ref.betas.double(), sigma)


@pytest.mark.parametrize(("sigma", "variance_type"), [("beta_tilde", "fixed_small"),
                                                      ("beta", "fixed_large")])
@pytest.mark.parametrize("t", [999, 500, 1, 0])
def test_one_step_equals_diffusers_step(sigma, variance_type, t):
    ref = _float64(DDPMScheduler(num_train_timesteps=1000, clip_sample=False,
                                 variance_type=variance_type))
    s = _schedule(ref, sigma)
    assert torch.equal(s.alpha_bar, ref.alphas_cumprod)
    g = torch.Generator().manual_seed(t)
    xt = torch.randn(4, 1, 8, 8, generator=g, dtype=torch.float64)
    eps = torch.randn(4, 1, 8, 8, generator=g, dtype=torch.float64)
    state = g.get_state()
    expected = ref.step(eps, t, xt, generator=g).prev_sample
    g.set_state(state)
    z = torch.randn(xt.shape, generator=g, dtype=torch.float64) if t > 0 else None
    assert torch.allclose(sampler_step(s, xt, t, eps, z), expected, rtol=0, atol=1e-6)
    assert (sampler_step(s, xt, t, eps, z) - expected).abs().max() < 1e-10


def _diffusers_loop(model, ref, shape, generator):
    x = torch.randn(shape, generator=generator, dtype=torch.float64)
    ref.set_timesteps(ref.config.num_train_timesteps)
    for t in ref.timesteps:
        with torch.no_grad():
            eps = model(x, torch.full((shape[0],), int(t)))
        x = ref.step(eps, t, x, generator=generator).prev_sample
    return x


@pytest.mark.parametrize(("kind", "beta_schedule"), [("linear", "linear"),
                                                     ("cosine", "squaredcos_cap_v2")])
def test_the_sampling_loop_equals_diffusers_loop(kind, beta_schedule):
    torch.manual_seed(0)
    T = 100
    model = MLPDenoiser(dim=2, T=T, width=32, depth=2).double()
    ref = _float64(DDPMScheduler(num_train_timesteps=T, beta_schedule=beta_schedule,
                                 clip_sample=False))
    expected = _diffusers_loop(model, ref, (64, 2), torch.Generator().manual_seed(1))
    ours = ddpm_sample(model, _schedule(ref), (64, 2), dtype=torch.float64,
                       generator=torch.Generator().manual_seed(1))
    assert torch.allclose(ours, expected, rtol=0, atol=1e-6)
    assert torch.allclose(NoiseSchedule.make(kind, T=T).beta, ref.betas.float(), rtol=1e-6)
    assert model.training


def test_without_noise_the_sampler_draws_only_x_T():
    torch.manual_seed(0)
    model = MLPDenoiser(dim=2, T=20, width=16, depth=1)
    s = NoiseSchedule.make("linear", T=20)
    a = ddpm_sample(model, s, (8, 2), generator=torch.Generator().manual_seed(3), add_noise=False)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(8, 2, generator=g)
    for t in reversed(range(20)):
        with torch.no_grad():
            x = sampler_step(s, x, t, model.eval()(x, torch.full((8,), t)))
    assert torch.equal(a, x)
    b = ddpm_sample(model, s, (8, 2), generator=torch.Generator().manual_seed(3))
    assert not torch.allclose(a, b)
