"""SmoothGrad: captum's NoiseTunnel (smoothgrad over Saliency) with the same noise, zero noise
is the plain saliency, and the generator alone decides the noise."""

import sys
from pathlib import Path

import pytest
import torch
from captum.attr import NoiseTunnel, Saliency

from mllab.config import ConfigError
from mllab.xai import saliency, smoothgrad

sys.path.insert(0, str(Path(__file__).parent))
from xai_models import batch, small_model  # noqa: E402


def test_same_as_captum_noise_tunnel_with_the_same_noise():
    model, (x, t) = small_model(), batch()
    n, sigma = 6, 0.2
    torch.manual_seed(7)  # captum draws torch.normal(0, sigma) of shape (B*n, ...)
    noise = torch.normal(0, torch.tensor(sigma).repeat(len(x) * n, 1, 6, 6)).double()  # float32
    noise = noise.reshape(len(x), n, 1, 6, 6).transpose(0, 1)  # (n, B, ...)
    torch.manual_seed(7)
    ref = NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", nt_samples=n,
                                                 stdevs=sigma, target=t)
    assert torch.allclose(smoothgrad(model, x, t, noise=noise), ref, atol=1e-14, rtol=0)


def test_zero_noise_is_saliency_and_generator_reproducible():
    model, (x, t) = small_model(), batch()
    zero = smoothgrad(model, x, t, sigma=0.0, n=3, generator=torch.Generator())
    assert torch.allclose(zero, saliency(model, x, t))
    a = smoothgrad(model, x, t, generator=torch.Generator().manual_seed(0))
    b = smoothgrad(model, x, t, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and not torch.allclose(a, saliency(model, x, t))
    with pytest.raises(ConfigError, match="generator/noise"):
        smoothgrad(model, x, t)
