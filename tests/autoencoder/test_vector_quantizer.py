"""VQ-VAE's quantiser: the nearest codebook vector as a brute-force search finds it, the
straight-through gradient, which loss trains what (Eq. 3), usage and perplexity."""

import math

import pytest
import torch

from mllab.autoencoder import (
    VectorQuantizer,
    codebook_perplexity,
    codebook_usage,
    nearest_code,
)
from mllab.config import ConfigError


def test_nearest_code_equals_brute_force_search():
    g = torch.Generator().manual_seed(0)
    z, e = torch.randn(300, 6, generator=g), torch.randn(20, 6, generator=g)
    brute = torch.stack([((zi - e) ** 2).sum(1).argmin() for zi in z.double()])
    assert torch.equal(nearest_code(z.double(), e.double()), brute)
    assert torch.equal(nearest_code(z, e), torch.cdist(z, e).argmin(1))


def test_quantised_values_indices_and_losses():
    torch.manual_seed(0)
    vq = VectorQuantizer(8, 3, beta=0.25).double()
    z_e = torch.randn(5, 4, 3, dtype=torch.float64)  # (B, M, D)
    q = vq(z_e)
    assert q.indices.shape == (5, 4)
    assert torch.allclose(q.z_q, vq.codebook[q.indices], rtol=0, atol=1e-15)  # z_e + (e_k - z_e)
    mse = (vq.codebook[q.indices] - z_e).square().mean()
    assert q.codebook_loss.item() == pytest.approx(mse.item(), rel=1e-14)
    assert q.commitment_loss.item() == pytest.approx(mse.item(), rel=1e-14)
    assert q.loss.item() == pytest.approx(1.25 * mse.item(), rel=1e-14)


def test_straight_through_gradient_and_what_each_loss_trains():
    torch.manual_seed(0)
    vq = VectorQuantizer(8, 3).double()
    z_e = torch.randn(10, 3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(10, 3, dtype=torch.float64)
    (vq(z_e).z_q * w).sum().backward()
    assert torch.equal(z_e.grad, w)  # the decoder's gradient copied to the encoder
    assert vq.codebook.grad is None
    z_e.grad = None
    vq(z_e).codebook_loss.backward()
    assert z_e.grad is None and vq.codebook.grad.abs().sum() > 0
    vq.codebook.grad = None
    vq(z_e).commitment_loss.backward()
    assert vq.codebook.grad is None and z_e.grad.abs().sum() > 0


def test_usage_and_perplexity():
    assert codebook_perplexity(torch.arange(8).repeat(5), 8) == pytest.approx(8.0, rel=1e-12)
    assert codebook_perplexity(torch.zeros(10, dtype=torch.long), 8) == pytest.approx(1.0)
    p = torch.tensor([0.5, 0.25, 0.25])
    expected = math.exp(-(p * p.log()).sum().item())
    assert codebook_perplexity(torch.tensor([0, 0, 1, 2]), 16) == pytest.approx(expected)
    assert codebook_usage(torch.tensor([0, 0, 1, 2]), 16) == 3 / 16


def test_validation():
    with pytest.raises(ConfigError, match="num_codes"):
        VectorQuantizer(0, 3)
    with pytest.raises(ConfigError, match="z_e"):
        VectorQuantizer(4, 3)(torch.randn(2, 5))
