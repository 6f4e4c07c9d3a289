"""Tests for mllab.nn.norm's layer normalization: parity with nn.LayerNorm, invariants."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mllab.nn.norm import TORCH_PARAMETER_NAMES, LayerNorm, layer_norm_reference

TOL = {"rtol": 0.0, "atol": 1e-10}
CASES = [  # (input shape, normalized_shape)
    ((6, 5), 5),  # (B, C)
    ((3, 4, 5), 5),  # (B, T, C)
    ((3, 4, 5), (4, 5)),  # (B, T, C) over T and C
]


def _pair(normalized_shape: int | tuple[int, ...], reference: bool) -> tuple[LayerNorm, nn.Module]:
    """A float64 LayerNorm with random γ, β and the nn.LayerNorm holding the same parameters."""
    g = torch.Generator().manual_seed(0)
    ln = LayerNorm(normalized_shape, reference=reference, dtype=torch.float64)
    with torch.no_grad():
        ln.gamma.copy_(1 + 0.5 * torch.randn(ln.gamma.shape, generator=g, dtype=torch.float64))
        ln.beta.copy_(torch.randn(ln.beta.shape, generator=g, dtype=torch.float64))
    tln = nn.LayerNorm(normalized_shape, eps=1e-5, dtype=torch.float64)
    tln.load_state_dict({TORCH_PARAMETER_NAMES[k]: v for k, v in ln.state_dict().items()})
    return ln, tln


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize(("shape", "normalized_shape"), CASES)
def test_matches_torch_values_and_gradients(
    shape: tuple[int, ...], normalized_shape: int | tuple[int, ...], reference: bool
) -> None:
    ln, tln = _pair(normalized_shape, reference)
    g = torch.Generator().manual_seed(1)
    for mode in ("train", "eval"):
        ln.train(mode == "train")
        tln.train(mode == "train")
        x = 3.0 + 2.0 * torch.randn(shape, generator=g, dtype=torch.float64)
        x_ours, x_torch = x.clone().requires_grad_(), x.clone().requires_grad_()
        out, expected = ln(x_ours), tln(x_torch)
        torch.testing.assert_close(out, expected, **TOL)
        upstream = torch.randn(shape, generator=g, dtype=torch.float64)
        (out * upstream).sum().backward()
        (expected * upstream).sum().backward()
        torch.testing.assert_close(x_ours.grad, x_torch.grad, **TOL)
        torch.testing.assert_close(ln.gamma.grad, tln.weight.grad, **TOL)
        torch.testing.assert_close(ln.beta.grad, tln.bias.grad, **TOL)
        ln.zero_grad()
        tln.zero_grad()


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES)
def test_reference_function_equals_fused_kernel(
    shape: tuple[int, ...], normalized_shape: int | tuple[int, ...]
) -> None:
    g = torch.Generator().manual_seed(2)
    trailing = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    gamma = torch.randn(trailing, generator=g, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(trailing, generator=g, dtype=torch.float64, requires_grad=True)
    x = (-4.0 + 0.5 * torch.randn(shape, generator=g, dtype=torch.float64)).requires_grad_()
    out_ref = layer_norm_reference(x, gamma, beta, normalized_shape, eps=1e-3)
    out_fused = F.layer_norm(x, trailing, gamma, beta, eps=1e-3)
    torch.testing.assert_close(out_ref, out_fused, **TOL)
    grads_ref = torch.autograd.grad(out_ref.square().sum(), (x, gamma, beta))
    grads_fused = torch.autograd.grad(out_fused.square().sum(), (x, gamma, beta))
    for a, b in zip(grads_ref, grads_fused, strict=True):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("reference", [False, True])
def test_init_gives_zero_mean_unit_variance_per_example(reference: bool) -> None:
    ln = LayerNorm(16, reference=reference, dtype=torch.float64)
    assert torch.equal(ln.gamma, torch.ones(16, dtype=torch.float64))
    assert torch.equal(ln.beta, torch.zeros(16, dtype=torch.float64))
    g = torch.Generator().manual_seed(3)
    scale = torch.tensor([0.5, 2.0, 10.0], dtype=torch.float64).view(3, 1, 1)  # (B, 1, 1)
    x = 7.0 + scale * torch.randn(3, 4, 16, generator=g, dtype=torch.float64)  # (B, T, C)
    x_hat = ln(x)
    sigma2 = x.var(dim=-1, correction=0)  # (B, T)
    torch.testing.assert_close(x_hat.mean(dim=-1), torch.zeros(3, 4, dtype=torch.float64),
                               rtol=0, atol=1e-12)
    var_hat = x_hat.var(dim=-1, correction=0)  # (B, T)
    torch.testing.assert_close(var_hat, sigma2 / (sigma2 + 1e-5), rtol=0, atol=1e-12)
    torch.testing.assert_close(var_hat, torch.ones(3, 4, dtype=torch.float64), rtol=0, atol=1e-4)


@pytest.mark.parametrize("reference", [False, True])
def test_example_independent_of_batch_and_no_running_statistics(reference: bool) -> None:
    ln, _ = _pair(5, reference)
    assert list(ln.buffers()) == []
    g = torch.Generator().manual_seed(4)
    x = torch.randn(1, 4, 5, generator=g, dtype=torch.float64)
    others = 10.0 * torch.randn(6, 4, 5, generator=g, dtype=torch.float64)
    alone = ln.train()(x)
    torch.testing.assert_close(ln(torch.cat([x, others]))[:1], alone, rtol=0, atol=1e-12)
    torch.testing.assert_close(ln.eval()(x), alone, rtol=0, atol=0)


def test_layer_norm_differs_from_batch_norm_statistics() -> None:
    """Normalizing over C (per example) is not normalizing over B (per feature)."""
    x = torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 60.0]], dtype=torch.float64)
    x_hat = LayerNorm(3, dtype=torch.float64)(x)
    torch.testing.assert_close(x_hat.mean(dim=1), torch.zeros(2, dtype=torch.float64),
                               rtol=0, atol=1e-12)
    assert x_hat.mean(dim=0).abs().max() > 0.1


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((0,), {}, "normalized_shape"),
        (((),), {}, "normalized_shape"),
        (((4, -1),), {}, "normalized_shape"),
        ((2.5,), {}, "normalized_shape"),
        ((4,), {"eps": 0.0}, "eps"),
        ((4,), {"eps": -1e-5}, "eps"),
        ((4,), {"eps": float("nan")}, "eps"),
    ],
)
def test_constructor_validation_names_the_argument(args: tuple, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} "):
        LayerNorm(*args, **kwargs)


@pytest.mark.parametrize("reference", [False, True])
def test_input_must_end_with_normalized_shape(reference: bool) -> None:
    ln = LayerNorm((4, 5), reference=reference)
    assert ln(torch.randn(2, 4, 5)).shape == (2, 4, 5)
    for bad in (torch.randn(2, 5, 4), torch.randn(5)):
        with pytest.raises(ValueError, match="normalized_shape"):
            ln(bad)


def test_reference_function_validation() -> None:
    x = torch.randn(2, 3)
    with pytest.raises(ValueError, match="^eps "):
        layer_norm_reference(x, torch.ones(3), torch.zeros(3), 3, eps=0.0)
    with pytest.raises(ValueError, match="^normalized_shape "):
        layer_norm_reference(x, torch.ones(3), torch.zeros(3), 0)
