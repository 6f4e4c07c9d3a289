"""Tests for mllab.nn.backprop: hand-written backpropagation equals torch.autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.nn.backprop import (
    BackpropMLP,
    cross_entropy_delta,
    mse_delta,
    relu_prime,
    sigmoid_prime,
    softmax,
)

SIZES = {
    1: (5, 3),  # the output layer only: logistic / linear regression
    2: (5, 7, 3),
    3: (5, 8, 6, 3),
    5: (5, 4, 9, 4, 6, 3),
}


def _data(model: BackpropMLP, B: int, seed: int) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    C_0, K = model.sizes[0], model.sizes[-1]
    x = torch.randn(B, C_0, generator=g, dtype=torch.float64)
    if model.loss_name == "cross_entropy":
        return x, torch.randint(0, K, (B,), generator=g)
    return x, torch.randn(B, K, generator=g, dtype=torch.float64)


def _autograd_reference(
    model: BackpropMLP, x: Tensor, target: Tensor
) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """Loss and gradients by torch.nn.functional + autograd on copies of the same weights."""
    W = [w.clone().requires_grad_() for w in model.W]
    b = [v.clone().requires_grad_() for v in model.b]
    phi = torch.sigmoid if model.activation == "sigmoid" else F.relu
    a = x
    for i in range(model.num_layers):
        a = F.linear(a, W[i].T, b[i])
        if i < model.num_layers - 1:
            a = phi(a)
    if model.loss_name == "cross_entropy":
        loss = F.cross_entropy(a, target)
    else:
        loss = F.mse_loss(a, target.reshape(a.shape))
    grads = torch.autograd.grad(loss, [*W, *b])
    L = model.num_layers
    return loss.detach(), list(grads[:L]), list(grads[L:])


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("depth", sorted(SIZES))
@pytest.mark.parametrize("B", [1, 4, 33])
def test_gradients_equal_autograd(activation: str, loss: str, depth: int, B: int) -> None:
    g = torch.Generator().manual_seed(depth * 100 + B)
    model = BackpropMLP(SIZES[depth], activation, loss, generator=g)
    x, target = _data(model, B, seed=B)
    cache = model.forward(x)
    grads = model.backward(cache, target)
    loss_ref, dW_ref, db_ref = _autograd_reference(model, x, target)
    torch.testing.assert_close(model.loss(cache, target), loss_ref, rtol=0, atol=1e-12)
    assert len(grads.dC_dW) == len(grads.dC_db) == depth
    for i in range(depth):
        assert grads.dC_dW[i].shape == model.W[i].shape
        assert grads.dC_db[i].shape == model.b[i].shape
        torch.testing.assert_close(grads.dC_dW[i], dW_ref[i], rtol=0, atol=1e-10)
        torch.testing.assert_close(grads.dC_db[i], db_ref[i], rtol=0, atol=1e-10)
    # the relu case must exercise both branches of 1[z > 0], or it tests nothing about σ'
    if activation == "relu" and depth > 1:
        z_hidden = torch.cat([z.flatten() for z in cache.z[:-1]])
        assert (z_hidden > 0).any() and (z_hidden < 0).any()


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_dC_dz_equals_autograd_on_pre_activations(activation: str) -> None:
    """The backward pass values δ^(l) = ∂C/∂z^(l) themselves, not only the weight gradients."""
    model = BackpropMLP((4, 6, 5, 3), activation, generator=torch.Generator().manual_seed(1))
    x, target = _data(model, 8, seed=2)
    phi = torch.sigmoid if activation == "sigmoid" else F.relu
    W = [w.clone().requires_grad_() for w in model.W]
    z_ref: list[Tensor] = []
    a = x
    for i in range(model.num_layers):
        z_ref.append(F.linear(a, W[i].T, model.b[i]))
        a = z_ref[-1] if i == model.num_layers - 1 else phi(z_ref[-1])
    dz_ref = torch.autograd.grad(F.cross_entropy(a, target), z_ref)
    grads = model.backward(model.forward(x), target)
    for i in range(model.num_layers):
        torch.testing.assert_close(grads.dC_dz[i], dz_ref[i], rtol=0, atol=1e-12)


def test_output_deltas_by_hand() -> None:
    z = torch.tensor([[0.0, 0.0], [2.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    p = 1.0 / (1.0 + torch.exp(torch.tensor(-2.0, dtype=torch.float64)))  # softmax of (2, 0)
    expected = torch.tensor([[0.5 - 1.0, 0.5], [p, 1.0 - p - 1.0]], dtype=torch.float64) / 2
    torch.testing.assert_close(cross_entropy_delta(z, y), expected, rtol=0, atol=1e-15)
    z_reg = torch.tensor([[1.0], [3.0], [0.0]], dtype=torch.float64)
    y_reg = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    expected_reg = torch.tensor([[2.0], [4.0], [-2.0]], dtype=torch.float64) / 3
    torch.testing.assert_close(mse_delta(z_reg, y_reg), expected_reg, rtol=0, atol=1e-15)


def test_softmax_and_derivatives() -> None:
    z = torch.tensor([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]], dtype=torch.float64)
    torch.testing.assert_close(softmax(z), torch.softmax(z, dim=-1), rtol=0, atol=1e-15)
    assert torch.isfinite(softmax(z)).all()
    r = torch.linspace(-4, 4, 9, dtype=torch.float64)
    s = torch.sigmoid(r)
    torch.testing.assert_close(sigmoid_prime(s), s * (1 - s), rtol=0, atol=0)
    expected_relu = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 1], dtype=torch.float64)
    torch.testing.assert_close(relu_prime(r), expected_relu, rtol=0, atol=0)


def test_finite_differences_on_one_weight() -> None:
    model = BackpropMLP((3, 4, 2), "sigmoid", generator=torch.Generator().manual_seed(0))
    x, target = _data(model, 5, seed=0)
    g = model.backward(model.forward(x), target).dC_dW[0][1, 2].item()
    h = 1e-6
    model.W[0][1, 2] += h
    c_plus = model.loss(model.forward(x), target).item()
    model.W[0][1, 2] -= 2 * h
    c_minus = model.loss(model.forward(x), target).item()
    assert abs(g) > 1e-4
    assert abs((c_plus - c_minus) / (2 * h) - g) < 1e-8


def test_backward_uses_no_autograd_and_leaves_weights_alone() -> None:
    model = BackpropMLP((3, 5, 2), "relu", generator=torch.Generator().manual_seed(0))
    for p in [*model.W, *model.b]:
        p.requires_grad_()
    x, target = _data(model, 6, seed=0)
    before = [p.detach().clone() for p in [*model.W, *model.b]]
    grads = model.backward(model.forward(x), target)
    assert all(not d.requires_grad and d.grad_fn is None for d in [*grads.dC_dW, *grads.dC_db])
    for p, p0 in zip([*model.W, *model.b], before, strict=True):
        assert torch.equal(p.detach(), p0)


def test_forward_cache_layout() -> None:
    model = BackpropMLP((4, 6, 5, 3), "sigmoid", generator=torch.Generator().manual_seed(0))
    x = torch.randn(7, 4, dtype=torch.float64)
    cache = model.forward(x)
    assert [tuple(a.shape) for a in cache.a] == [(7, 4), (7, 6), (7, 5), (7, 3)]
    assert [tuple(z.shape) for z in cache.z] == [(7, 6), (7, 5), (7, 3)]
    assert cache.a[0] is x
    assert cache.output is cache.z[-1]
    torch.testing.assert_close(cache.a[1], torch.sigmoid(cache.z[0]), rtol=0, atol=0)
    assert all(w.dtype == torch.float64 for w in model.W)


def test_initialisation_is_seeded_and_bounded() -> None:
    def make(seed: int) -> BackpropMLP:
        return BackpropMLP((16, 8, 2), generator=torch.Generator().manual_seed(seed))

    m1, m2, m3 = make(0), make(0), make(1)
    assert all(torch.equal(a, b) for a, b in zip(m1.W, m2.W, strict=True))
    assert not torch.equal(m1.W[0], m3.W[0])
    assert m1.W[0].abs().max() <= 1 / 4 and m1.W[1].abs().max() <= 1 / 8**0.5
    assert m1.W[0].abs().max() > 0.2  # spread over the whole range (1/√16 = 0.25)


def test_gradient_descent_with_hand_gradients_learns() -> None:
    g = torch.Generator().manual_seed(0)
    model = BackpropMLP((2, 16, 2), "sigmoid", generator=g)
    x = torch.randn(64, 2, generator=g, dtype=torch.float64)
    target = (x[:, 0] * x[:, 1] > 0).long()  # XOR-like: not linearly separable
    loss_0 = model.loss(model.forward(x), target).item()
    for _ in range(300):
        cache = model.forward(x)
        model.step(model.backward(cache, target), eta=2.0)
    cache = model.forward(x)
    assert model.loss(cache, target).item() < 0.2 * loss_0
    assert torch.equal(cache.output.argmax(dim=1), target)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sizes": (3,)}, "sizes"),
        ({"sizes": (3, 0)}, "sizes"),
        ({"sizes": (3, 2.0)}, "sizes"),
        ({"sizes": (3, 2), "activation": "tanh"}, "activation"),
        ({"sizes": (3, 2), "loss": "mae"}, "loss"),
    ],
)
def test_validation_names_the_argument(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        BackpropMLP(**kwargs, generator=torch.Generator())
