"""The hinge loss by hand: the margins at +1 and -1."""

import torch

from mllab.gan.hinge_loss import hinge_discriminator_loss, hinge_generator_loss


def test_the_hinge_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-3.0, 0.0])
    # real: max(0, 1 - s) = 0, 0.5, 2 -> mean 2.5/3; fake: max(0, 1 + s) = 0, 1 -> mean 0.5
    assert torch.isclose(hinge_discriminator_loss(real, fake), torch.tensor(2.5 / 3 + 0.5))
    assert hinge_generator_loss(fake).item() == 1.5


def test_samples_beyond_the_margin_no_longer_move_d():
    real = torch.tensor([1.5, 3.0], requires_grad=True)
    fake = torch.tensor([-1.2, -4.0], requires_grad=True)
    loss = hinge_discriminator_loss(real, fake)
    assert loss.item() == 0.0
    g_real, g_fake = torch.autograd.grad(loss, (real, fake))
    assert not g_real.any() and not g_fake.any()
