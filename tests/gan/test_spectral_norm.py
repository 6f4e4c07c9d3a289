"""Spectral normalization: the same u, v and sigma as torch.nn.utils.parametrizations.spectral_norm
from the same draws and after the same iterations (linear, convolution, transposed convolution,
while the weights train), sigma equal to torch.linalg.matrix_norm(W, 2) after enough iterations,
no iteration in evaluation mode, and the vectors in the state_dict."""

import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from mllab.gan.spectral_norm import power_iteration, spectral_norm, spectral_normalize_all

f64 = torch.float64
LAYERS = {
    "linear": lambda: nn.Linear(7, 5),
    "conv": lambda: nn.Conv2d(3, 4, 3),
    "conv_transpose": lambda: nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1),
}
INPUTS = {"linear": (6, 7), "conv": (2, 3, 6, 6), "conv_transpose": (2, 4, 3, 3)}


def _pair(kind: str) -> tuple[nn.Module, nn.Module]:
    r"""The same layer twice, one normalized by torch, one by mllab, from the same draws of u
    and v (mllab's generator holds torch's global state at the moment torch draws)."""
    torch.manual_seed(11)
    theirs = LAYERS[kind]().double()
    ours = LAYERS[kind]().double()
    ours.load_state_dict(theirs.state_dict())
    generator = torch.Generator()
    generator.set_state(torch.get_rng_state())
    torch_spectral_norm(theirs)
    spectral_norm(ours, generator=generator)
    return theirs, ours


def _vectors(theirs: nn.Module, ours: nn.Module):
    t, o = theirs.parametrizations.weight[0], ours.parametrizations.weight[0]
    return (t._u, o.u), (t._v, o.v)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_same_u_v_and_sigma_as_torch_from_the_same_draws_while_training(kind):
    theirs, ours = _pair(kind)
    for a, b in _vectors(theirs, ours):  # after the 15 initial iterations
        assert torch.allclose(a, b, atol=1e-12)
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (theirs, ours)]
    x = torch.randn(*INPUTS[kind], dtype=f64, generator=torch.Generator().manual_seed(0))
    for _ in range(5):  # one iteration per forward in training mode, the weights moving
        for m, opt in zip((theirs, ours), opts, strict=True):
            opt.zero_grad()
            m(x).square().sum().backward()
            opt.step()
        for a, b in _vectors(theirs, ours):
            assert torch.allclose(a, b, atol=1e-10)
        assert torch.allclose(theirs.weight, ours.weight, atol=1e-10)  # W / sigma
        for p, q in zip(theirs.parameters(), ours.parameters(), strict=True):
            assert torch.allclose(p, q, atol=1e-10)


def test_power_iteration_converges_to_the_spectral_norm():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(6, 9, dtype=f64, generator=g)
    u, v = torch.randn(6, dtype=f64, generator=g), torch.randn(9, dtype=f64, generator=g)
    sigma, u, v = power_iteration(W, u / u.norm(), v / v.norm(), 200)
    assert torch.allclose(sigma, torch.linalg.matrix_norm(W, 2), rtol=1e-10)
    assert torch.allclose(W @ v, sigma * u, atol=1e-8)  # a singular pair


def test_a_normalized_layer_has_spectral_norm_one_after_enough_iterations():
    torch.manual_seed(0)
    layer = spectral_norm(nn.Linear(8, 5).double(), generator=torch.Generator().manual_seed(1))
    for _ in range(100):
        layer.weight  # noqa: B018 (each access in training mode iterates once)
    assert torch.allclose(torch.linalg.matrix_norm(layer.weight, 2),
                          torch.tensor(1.0, dtype=f64), atol=1e-8)
    original = layer.parametrizations.weight.original
    assert torch.allclose(original / torch.linalg.matrix_norm(original, 2), layer.weight,
                          atol=1e-8)


def test_evaluation_mode_does_not_iterate_and_the_vectors_are_saved():
    layer = spectral_norm(nn.Linear(4, 3), generator=torch.Generator().manual_seed(0))
    state = layer.state_dict()
    assert {"parametrizations.weight.0.u", "parametrizations.weight.0.v"} <= set(state)
    u = layer.parametrizations.weight[0].u.clone()
    layer.eval()
    layer(torch.randn(2, 4))
    assert torch.equal(layer.parametrizations.weight[0].u, u)
    layer.train()
    with torch.no_grad():
        layer.parametrizations.weight.original.add_(torch.randn(3, 4))
    layer(torch.randn(2, 4))
    assert not torch.equal(layer.parametrizations.weight[0].u, u)


def test_normalize_all_covers_every_layer_and_needs_a_generator():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2, 1))
    spectral_normalize_all(net, torch.Generator().manual_seed(0))
    assert all(hasattr(m, "parametrizations") for m in (net[0], net[2]))
    with pytest.raises(ValueError, match="needs a generator"):
        spectral_normalize_all(nn.Linear(1, 1), None)
