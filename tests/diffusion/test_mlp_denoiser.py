"""The MLP denoiser: shapes, dependence on t, and fitting the noise of one batch."""

import torch

from mllab.diffusion import MLPDenoiser


def test_shapes_and_the_output_depends_on_t():
    torch.manual_seed(0)
    model = MLPDenoiser(dim=2, T=50, width=32, depth=2)
    x = torch.randn(5, 2)
    assert model(x, torch.zeros(5, dtype=torch.long)).shape == (5, 2)
    assert not torch.allclose(model(x, torch.zeros(5, dtype=torch.long)),
                              model(x, torch.full((5,), 49)))


def test_it_fits_a_fixed_batch():
    torch.manual_seed(0)
    model = MLPDenoiser(dim=2, T=50, width=64, depth=2)
    g = torch.Generator().manual_seed(0)
    x, t, eps = torch.randn(32, 2, generator=g), torch.randint(50, (32,), generator=g), \
        torch.randn(32, 2, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        opt.zero_grad()
        loss = (model(x, t) - eps).square().mean()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
