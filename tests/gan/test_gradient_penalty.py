"""The gradient penalty (WGAN-GP Eq. 3): a linear critic's closed form, the interpolation with
explicit epsilons, a quadratic critic by hand, gradients that reach the critic's parameters
(checked by finite differences in float64), and the epsilons drawn from the generator only."""

import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.gan.gradient_penalty import gradient_penalty, interpolate

f64 = torch.float64


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_interpolate_is_eps_x_plus_one_minus_eps_fake_per_sample():
    real, fake = torch.ones(2, 1, 2, 2), torch.zeros(2, 1, 2, 2)
    out = interpolate(real, fake, torch.tensor([0.25, 1.0]))
    assert torch.equal(out[0], torch.full((1, 2, 2), 0.25)) and torch.equal(out[1], real[1])
    with pytest.raises(ValueError, match="must match"):
        interpolate(real, fake, torch.ones(3))


def test_a_linear_critic_has_penalty_lambda_times_norm_minus_one_squared():
    w = torch.tensor([3.0, 4.0], dtype=f64)  # |w| = 5 everywhere
    real, fake = torch.randn(6, 2, dtype=f64, generator=_gen()), torch.zeros(6, 2, dtype=f64)
    gp = gradient_penalty(lambda x: x @ w, real, fake, generator=_gen(), weight=10.0)
    assert torch.allclose(gp, torch.tensor(10.0 * 16, dtype=f64))


def test_a_quadratic_critic_by_hand_at_the_drawn_epsilons():
    # f(x) = |x|^2 / 2 has gradient x: the penalty is mean (|x_hat| - 1)^2 at the x_hat of the
    # epsilons that the same generator draws first
    real = torch.randn(5, 3, dtype=f64, generator=_gen(1))
    fake = torch.randn(5, 3, dtype=f64, generator=_gen(2))
    eps = torch.rand(5, generator=_gen(7), dtype=f64)
    x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
    expected = 2.0 * (x_hat.norm(dim=1) - 1).square().mean()
    gp = gradient_penalty(lambda x: x.square().sum(1) / 2, real, fake, generator=_gen(7),
                          weight=2.0)
    assert torch.allclose(gp, expected, atol=1e-12)


def test_the_penalty_is_differentiable_in_the_critic_parameters():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    real = torch.randn(4, 2, dtype=f64, generator=_gen(3))
    fake = torch.randn(4, 2, dtype=f64, generator=_gen(4))

    def penalty() -> torch.Tensor:
        return gradient_penalty(critic, real, fake, generator=_gen(5))

    w = critic[0].weight
    (grad,) = torch.autograd.grad(penalty(), w)
    h = 1e-6
    numeric = torch.zeros_like(w)
    with torch.no_grad():
        for idx in [(0, 0), (2, 1), (4, 0)]:
            w[idx] += h
            up = penalty()
            w[idx] -= 2 * h
            down = penalty()
            w[idx] += h
            numeric[idx] = (up - down) / (2 * h)
            assert torch.isclose(grad[idx], numeric[idx], rtol=1e-5, atol=1e-8)


def test_the_epsilons_come_from_the_generator_and_images_work():
    critic = nn.Sequential(nn.Flatten(), nn.Linear(64, 1))
    real, fake = torch.randn(3, 1, 8, 8, generator=_gen(1)), torch.randn(3, 1, 8, 8,
                                                                         generator=_gen(2))
    a = gradient_penalty(critic, real, fake, generator=_gen(9))
    b = gradient_penalty(critic, real, fake, generator=_gen(9))
    c = gradient_penalty(lambda x: critic(x) * torch.linspace(1, 2, 3)[:, None], real, fake,
                         generator=_gen(9))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.ndim == 0


def test_a_bad_weight_is_refused():
    with pytest.raises(ConfigError, match="weight must be a number > 0"):
        gradient_penalty(lambda x: x.sum(1), torch.zeros(2, 2), torch.zeros(2, 2),
                         generator=_gen(), weight=0)
