"""The WGAN losses by hand: the critic's estimate of W, its negative as the critic's loss, and
the generator's loss."""

import torch

from mllab.gan.wasserstein_loss import (
    critic_loss,
    wasserstein_estimate,
    wasserstein_generator_loss,
)


def test_the_losses_by_hand():
    real, fake = torch.tensor([3.0, 1.0, 2.0]), torch.tensor([-1.0, 0.0])
    assert wasserstein_estimate(real, fake).item() == 2.5  # 2 - (-0.5)
    assert critic_loss(real, fake).item() == -2.5
    assert wasserstein_generator_loss(fake).item() == 0.5


def test_a_linear_critic_on_shifted_points_estimates_the_shift():
    # f(x) = x is 1-Lipschitz and optimal for P = delta_2, Q = delta_0: W_1 = 2
    x, x_fake = torch.full((5, 1), 2.0), torch.zeros(5, 1)
    assert wasserstein_estimate(x.squeeze(1), x_fake.squeeze(1)).item() == 2.0


def test_the_generator_is_pushed_up_the_critic():
    fake = torch.tensor([0.5, -0.5], requires_grad=True)
    (g,) = torch.autograd.grad(wasserstein_generator_loss(fake), fake)
    assert torch.equal(g, torch.tensor([-0.5, -0.5]))  # descending raises the scores
