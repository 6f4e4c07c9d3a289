"""The disentangling auto-encoder: the swap, the loss as its terms with each term training
only its own part, and a swap that carries the factor only when the adversary trains."""

import math

import pytest
import torch
import torch.nn.functional as F

from mllab.autoencoder import DisentanglingAutoencoder
from mllab.config import ConfigError


def test_swap_takes_content_from_one_and_factor_from_the_other():
    torch.manual_seed(0)
    model = DisentanglingAutoencoder(10, 3, 2, num_factors=4, hidden=(16,))
    a, b = torch.randn(5, 10), torch.randn(5, 10)
    ca, fb = model.encode(a)[0], model.encode(b)[1]
    assert ca.shape == (5, 3) and fb.shape == (5, 2)
    assert torch.equal(model.swap(a, b), model.decode(ca, fb))
    assert torch.equal(model.swap(a, a), model(a))


def test_loss_terms_and_what_each_trains():
    torch.manual_seed(0)
    model = DisentanglingAutoencoder(10, 3, 2, num_factors=4, hidden=(16,)).double()
    x, y = torch.randn(8, 10, dtype=torch.float64), torch.randint(4, (8,))
    L = model.loss(x, y, factor_weight=0.5, adversary_weight=2.0)
    c, f = model.encode(x)
    assert L.reconstruction.item() == pytest.approx(F.mse_loss(model.decode(c, f), x).item())
    assert L.factor.item() == pytest.approx(F.cross_entropy(model.factor_head(f), y).item())
    logits = model.adversary(c)
    assert L.adversary.item() == pytest.approx(F.cross_entropy(logits, y).item())
    uniform = torch.full_like(logits, 0.25)
    assert L.confusion.item() == pytest.approx(F.cross_entropy(logits, uniform).item())
    assert L.confusion.item() >= math.log(4)
    assert L.loss.item() == pytest.approx(
        (L.reconstruction + 0.5 * L.factor + 2.0 * (L.adversary + L.confusion)).item())
    enc, adv = model.content_encoder[0].weight, model.adversary[0].weight
    g_enc, g_adv = torch.autograd.grad(L.adversary, [enc, adv], retain_graph=True,
                                       allow_unused=True)
    assert g_enc is None and g_adv.abs().sum() > 0  # the adversary's term trains g_c only
    g_enc, g_adv = torch.autograd.grad(L.confusion, [enc, adv], allow_unused=True)
    assert g_adv is None and g_enc.abs().sum() > 0  # the confusion term trains e_c only


def _trained_swap(adversary_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    y = torch.randint(2, (256,), generator=g)
    content = torch.randn(256, 4, generator=g)
    x = torch.cat([content, 3.0 * (2 * y[:, None] - 1.0).expand(256, 4)], 1)  # (256, 8)
    x = x + 0.1 * torch.randn(256, 8, generator=g)
    model = DisentanglingAutoencoder(8, 4, 1, num_factors=2, hidden=(32,))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        L = model.loss(x, y, adversary_weight=adversary_weight)
        opt.zero_grad()
        L.loss.backward()
        opt.step()
    with torch.no_grad():
        assert (model.factor_head(model.encode(x)[1]).argmax(1) == y).float().mean() > 0.95
        j = int((y != y[0]).nonzero()[0])  # an example of the other class
        return model.swap(x[:1], x[j:j + 1])[0, 4:], x[j, 4:]


def test_the_swap_carries_the_factor_once_the_adversary_trains():
    swapped, target = _trained_swap(1.0)
    assert torch.sign(swapped).eq(torch.sign(target)).all()
    swapped, target = _trained_swap(0.0)  # no adversary: the decoder reads y from c
    assert not torch.sign(swapped).eq(torch.sign(target)).all()


def test_validation():
    with pytest.raises(ConfigError, match="num_factors"):
        DisentanglingAutoencoder(8, 2, 2, num_factors=1)
