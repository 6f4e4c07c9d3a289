"""Binary and one-hot codes: hard values forward, the soft relaxation's gradient backward
(straight-through), and an auto-encoder that trains through them."""

import pytest
import torch
import torch.nn.functional as F

from mllab.autoencoder import DiscreteAutoencoder, binary_code, one_hot_code
from mllab.config import ConfigError


def test_binary_code_values_and_straight_through_gradient():
    z = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 5, dtype=torch.float64)
    c = binary_code(z)
    assert torch.equal(c, (z > 0).double())
    (c * w).sum().backward()
    s = torch.sigmoid(z.detach())
    assert torch.allclose(z.grad, w * s * (1 - s), rtol=0, atol=1e-15)  # dσ/dz = σ(1-σ)


def test_one_hot_code_values_and_straight_through_gradient():
    z = torch.randn(4, 7, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 7, dtype=torch.float64)
    c = one_hot_code(z, tau=0.5)
    assert torch.equal(c, F.one_hot(z.argmax(1), 7).double())
    (c * w).sum().backward()
    z2 = z.detach().clone().requires_grad_(True)
    (torch.softmax(z2 / 0.5, 1) * w).sum().backward()
    assert torch.allclose(z.grad, z2.grad, rtol=0, atol=1e-15)
    with pytest.raises(ConfigError, match="tau"):
        one_hot_code(z, tau=0.0)


@pytest.mark.parametrize("code", ["binary", "one_hot"])
def test_discrete_autoencoder_codes_and_learns(code):
    torch.manual_seed(0)
    centres = torch.randn(4, 12, generator=torch.Generator().manual_seed(1)) * 2
    x = centres.repeat(16, 1)  # (64, 12): four distinct points
    ae = DiscreteAutoencoder(12, 4, (32,), code=code)
    c = ae.encode(x)
    assert set(c.unique().tolist()) <= {0.0, 1.0}
    if code == "one_hot":
        assert torch.equal(c.sum(1), torch.ones(64))
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    first = (ae(x) - x).square().mean().item()
    for _ in range(300):
        opt.zero_grad()
        loss = (ae(x) - x).square().mean()
        loss.backward()
        opt.step()
    assert loss.item() < 0.25 * first


def test_unknown_code_is_refused():
    with pytest.raises(ConfigError, match="code"):
        DiscreteAutoencoder(12, 4, code="ternary")
