"""The coupling flow: f⁻¹(f(x)) = x, the log-determinant against torch.linalg.slogdet of the
Jacobian from torch.autograd.functional.jacobian in float64, the identity at initialisation,
a density that integrates to 1, and maximum likelihood that lowers the NLL."""

import math

import pytest
import torch
from torch.autograd.functional import jacobian
from torch.distributions import MultivariateNormal

from mllab.config import ConfigError
from mllab.generative import CouplingFlow, alternating_masks


def _random_flow(dim: int, layers: int = 4) -> CouplingFlow:
    torch.manual_seed(0)
    flow = CouplingFlow(dim, layers=layers, hidden=16).double()
    with torch.no_grad():  # leave the identity of the initialisation
        for layer in flow.layers:
            layer.net[-1].weight.normal_(0, 0.3)
            layer.net[-1].bias.normal_(0, 0.3)
    return flow


@pytest.mark.parametrize("dim", [2, 5])
def test_inverse_of_forward_is_the_identity(dim):
    flow = _random_flow(dim)
    x = torch.randn(50, dim, dtype=torch.float64)
    z, _ = flow(x)
    assert not torch.allclose(z, x)
    assert torch.allclose(flow.inverse(z), x, rtol=0, atol=1e-12)
    assert torch.allclose(flow(flow.inverse(x))[0], x, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dim", [2, 5])
def test_log_det_equals_slogdet_of_the_autograd_jacobian(dim):
    flow = _random_flow(dim)
    x = torch.randn(6, dim, dtype=torch.float64)
    _, log_det = flow(x)
    for i in range(6):
        J = jacobian(lambda v: flow(v[None])[0][0], x[i])  # (C, C)
        sign, logabs = torch.linalg.slogdet(J)
        assert sign.item() == 1.0
        assert log_det[i].item() == pytest.approx(logabs.item(), abs=1e-12)


def test_identity_at_initialisation_gives_the_standard_normal():
    torch.manual_seed(0)
    flow = CouplingFlow(3).double()
    x = torch.randn(10, 3, dtype=torch.float64)
    normal = MultivariateNormal(torch.zeros(3, dtype=torch.float64),
                                torch.eye(3, dtype=torch.float64))
    assert torch.allclose(flow.log_prob(x), normal.log_prob(x), rtol=1e-13)


def test_the_density_integrates_to_one():
    flow = _random_flow(2)
    u = torch.linspace(-9, 9, 361, dtype=torch.float64)
    grid = torch.cartesian_prod(u, u)  # (361², 2)
    with torch.no_grad():
        mass = flow.log_prob(grid).exp().sum().item() * (u[1] - u[0]).item() ** 2
    assert mass == pytest.approx(1.0, abs=2e-3)


def test_maximum_likelihood_lowers_the_nll_and_samples_come_from_the_inverse():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    angle = torch.rand(256, generator=g) * math.pi
    x = torch.stack([angle.cos(), angle.sin()], 1) + 0.05 * torch.randn(256, 2, generator=g)
    flow = CouplingFlow(2, layers=4, hidden=32)
    opt = torch.optim.Adam(flow.parameters(), lr=3e-3)
    first = -flow.log_prob(x).mean().item()
    for _ in range(100):
        loss = -flow.log_prob(x).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first - 0.5
    samples = flow.sample(8, generator=torch.Generator().manual_seed(1))
    z = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(samples, flow.inverse(z).detach())


def test_masks_and_validation():
    masks = alternating_masks(5, 3)
    assert masks[0].tolist() == [1, 0, 1, 0, 1] and masks[1].tolist() == [0, 1, 0, 1, 0]
    with pytest.raises(ConfigError, match="dim"):
        CouplingFlow(1)
