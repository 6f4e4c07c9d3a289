"""VQ-VAE: shapes, Eq. 3's loss as its parts, the decoder as a generator of indices, and a
model that learns to reconstruct with a used codebook."""

import pytest
import torch

from mllab.autoencoder import VQVAE, codebook_usage


def test_shapes_loss_parts_and_decoding_indices():
    torch.manual_seed(0)
    model = VQVAE(12, num_vectors=3, dim=4, num_codes=8)
    x = torch.randn(5, 12)
    out = model(x)
    assert out.x_hat.shape == (5, 12) and out.quantized.indices.shape == (5, 3)
    expected = (out.x_hat - x).square().mean() + out.quantized.codebook_loss \
        + 0.25 * out.quantized.commitment_loss
    assert out.loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert torch.allclose(model.decode_indices(out.quantized.indices), out.x_hat)


def test_vq_vae_learns_to_reconstruct_clusters():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    centres = torch.randn(8, 12, generator=g)
    x = centres[torch.randint(8, (256,), generator=g)] + 0.05 * torch.randn(256, 12, generator=g)
    model = VQVAE(12, num_vectors=1, dim=4, num_codes=16, hidden=(32,))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = model(x).reconstruction_loss.item()
    for _ in range(400):
        out = model(x)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    assert out.reconstruction_loss.item() < 0.3 * first
    assert codebook_usage(out.quantized.indices, 16) >= 4 / 16
