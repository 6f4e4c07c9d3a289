"""Respacing a trained schedule onto fewer timesteps: all of them give the schedule back, the
kept marginals are unchanged, and the whole respaced loop equals diffusers' DDPMScheduler
with ``set_timesteps(S)`` (float64, as in test_ddpm_sampling)."""

import pytest
import torch
from diffusers import DDPMScheduler

from mllab.diffusion import (
    MLPDenoiser,
    NoiseSchedule,
    Respaced,
    ddpm_sample,
    leading_timesteps,
    respace,
)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_keeping_every_timestep_gives_the_schedule_back(kind):
    s = NoiseSchedule.make(kind, T=200, dtype=torch.float64)
    r = respace(s, torch.arange(200))
    for name in ("beta", "alpha_bar", "sigma"):
        assert torch.allclose(getattr(r, name), getattr(s, name), rtol=1e-10, atol=1e-14)


def test_the_kept_marginals_are_unchanged():
    s = NoiseSchedule.make("linear", T=1000, dtype=torch.float64)
    tau = leading_timesteps(1000, 10)
    assert torch.allclose(respace(s, tau).alpha_bar, s.alpha_bar[tau], rtol=1e-12, atol=0)


@pytest.mark.parametrize(("T", "S"), [(100, 10), (1000, 50), (1000, 7)])
def test_leading_timesteps_are_diffusers(T, S):
    ref = DDPMScheduler(num_train_timesteps=T)
    ref.set_timesteps(S)
    assert torch.equal(leading_timesteps(T, S), ref.timesteps.flip(0))


@pytest.mark.parametrize("S", [10, 25])
def test_the_respaced_loop_equals_diffusers_loop(S):
    torch.manual_seed(0)
    T = 100
    model = MLPDenoiser(dim=2, T=T, width=32, depth=2).double()
    ref = DDPMScheduler(num_train_timesteps=T, clip_sample=False)
    ref.betas = ref.betas.double()
    ref.alphas = 1.0 - ref.betas
    ref.alphas_cumprod = torch.cumprod(ref.alphas, dim=0)
    ref.one = torch.tensor(1.0, dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 2, generator=g, dtype=torch.float64)
    ref.set_timesteps(S)
    for t in ref.timesteps:
        with torch.no_grad():
            eps = model(x, torch.full((64,), int(t)))
        x = ref.step(eps, t, x, generator=g).prev_sample

    tau = leading_timesteps(T, S)
    schedule = respace(NoiseSchedule.from_betas(ref.betas), tau)
    ours = ddpm_sample(Respaced(model, tau), schedule, (64, 2), dtype=torch.float64,
                       generator=torch.Generator().manual_seed(1))
    assert torch.allclose(ours, x, rtol=0, atol=1e-10)


def test_bad_timesteps_name_the_valid_ones():
    s = NoiseSchedule.make("linear", T=10)
    with pytest.raises(ValueError, match=r"timesteps must be increasing indices in 0\.\.9"):
        respace(s, torch.tensor([3, 2]))
    with pytest.raises(ValueError, match=r"S must be in 1\.\.T = 10"):
        leading_timesteps(10, 11)
