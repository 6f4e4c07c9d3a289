"""CycleGAN: the cycle (Eq. 2) and identity (§5.2) losses by hand, the four networks' shapes,
and the two generators learning to invert each other on the cycle loss alone."""

import torch

from mllab.gan.cycle_gan import (
    CycleGAN,
    CycleGANConfig,
    cycle_consistency_loss,
    identity_loss,
)


def test_the_losses_by_hand():
    x, y = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    # |F(G(x)) - x| = 0.5 everywhere, |G(F(y)) - y| = 0.25 everywhere
    assert cycle_consistency_loss(x, x + 0.5, y, y - 0.25).item() == 0.75
    assert identity_loss(x, x, y, y).item() == 0.0
    assert identity_loss(x, x - 1, y, y).item() == 1.0


def test_the_four_networks_and_their_losses():
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(width=8))
    x, y = torch.rand(3, 1, 8, 8) * 2 - 1, torch.rand(3, 1, 8, 8) * 2 - 1
    assert model.G(x).shape == model.F(y).shape == (3, 1, 8, 8)
    assert model.G(x).abs().max() < 1
    assert model.D_X(x).shape == model.D_Y(y).shape == (3,)
    expected = cycle_consistency_loss(x, model.F(model.G(x)), y, model.G(model.F(y)))
    assert torch.equal(model.cycle_loss(x, y), expected)
    assert torch.equal(model.identity_loss(x, y), identity_loss(x, model.F(x), y, model.G(y)))


def test_the_cycle_loss_alone_trains_the_generators_to_invert_each_other():
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(width=8))
    g = torch.Generator().manual_seed(1)
    x = torch.rand(16, 1, 8, 8, generator=g) * 1.6 - 0.8
    y = -x  # the other domain: negatives
    opt = torch.optim.Adam([*model.G.parameters(), *model.F.parameters()], lr=1e-2)
    first = model.cycle_loss(x, y).item()
    for _ in range(60):
        opt.zero_grad()
        loss = model.cycle_loss(x, y)
        loss.backward()
        opt.step()
    assert loss.item() < first / 2
