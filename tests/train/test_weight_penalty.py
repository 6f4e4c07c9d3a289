"""L1/L2 on the weights, never the biases; one L2 convention, tested at its exact value against
torch.optim's weight_decay."""

import pytest
import torch

from mllab.losses import mse
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig, Trainer, weight_penalty


def _data(n=40, c=3, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, generator=g, dtype=dtype)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=dtype)[:c] + 0.3 \
        + 0.1 * torch.randn(n, generator=g, dtype=dtype)
    return x, y


def _trainer(model, config, **kw):
    opt = kw.pop("optimizer", None) or torch.optim.SGD(model.parameters(), lr=0.1)
    return Trainer(model, opt, mse, config, generator=torch.Generator().manual_seed(1), **kw)


def test_l1_l2_penalise_weights_not_biases():
    torch.manual_seed(0)
    model = MLP(MLPConfig(in_features=3, depth=1, width=4)).double()
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    expected = 0.1 * sum(w.abs().sum() for w in weights) + 0.2 / 2 * sum(w.square().sum()
                                                                          for w in weights)
    torch.testing.assert_close(weight_penalty(model, 0.1, 0.2), expected)


@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.5), (0.3, 0.0), (0.3, 0.5)])
def test_one_penalised_step_is_the_data_gradient_plus_the_penalty_s_exactly(l1, l2):
    """One full-batch step of SGD (η = 0.1): w ← w − η(∇L + λ₁ sign(w) + λ₂ w) for weights,
    b ← b − η ∇L for biases."""
    x, y = _data()
    torch.manual_seed(0)
    model = MLP(MLPConfig(in_features=3, depth=1, width=4)).double()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = torch.autograd.grad(mse(model(x), y), list(model.parameters()))
    _trainer(model, TrainConfig(epochs=1, l1=l1, l2=l2)).fit((x, y))
    for (name, p), g in zip(model.named_parameters(), grads, strict=True):
        w = before[name]
        step = g + (l1 * w.sign() + l2 * w if name.endswith("weight") else 0)
        torch.testing.assert_close(p.detach(), w - 0.1 * step, rtol=0, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_l2_equals_weight_decay_on_the_weights_alone(optimizer):
    """One L2 convention: TrainConfig(l2=λ) trains exactly as torch.optim's weight_decay=λ
    on a parameter group of the weights (biases in a group without decay)."""
    x, y = _data()
    lam, runs = 0.3, []
    for l2 in (lam, 0.0):
        torch.manual_seed(0)
        model = MLP(MLPConfig(in_features=3, depth=2, width=(5, 4))).double()
        weights = [p for p in model.parameters() if p.ndim >= 2]
        biases = [p for p in model.parameters() if p.ndim < 2]
        opt = getattr(torch.optim, optimizer)(
            [{"params": weights, "weight_decay": lam - l2}, {"params": biases}], lr=0.05)
        _trainer(model, TrainConfig(epochs=3, batch_size=16, l2=l2), optimizer=opt).fit((x, y))
        runs.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=1e-14)
