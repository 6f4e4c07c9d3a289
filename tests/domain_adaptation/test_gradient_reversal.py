"""The gradient reversal layer under autograd: identity forward, -λ times the upstream
gradient backward (first and through a network), gradients to λ-free parameters only."""

import pytest
import torch

from mllab.domain_adaptation import GradientReversal, grad_reverse


@pytest.mark.parametrize("lambda_", [0.0, 0.3, 1.0, 2.5])
def test_identity_forward_negated_scaled_gradient_backward(lambda_):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(4, 3, generator=g, dtype=torch.float64)
    out = grad_reverse(x, lambda_)
    assert torch.equal(out, x)
    (grad,) = torch.autograd.grad(out, x, upstream)
    assert torch.equal(grad, -lambda_ * upstream)


def test_inside_a_network_reverses_only_what_lies_before_it():
    torch.manual_seed(0)
    before, after = torch.nn.Linear(3, 3).double(), torch.nn.Linear(3, 1).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    plain = after(before(x)).sum()
    g_before = torch.autograd.grad(plain, list(before.parameters()))
    g_after = torch.autograd.grad(after(before(x)).sum(), list(after.parameters()))
    layer = GradientReversal(0.5)
    rev = after(layer(before(x))).sum()
    r_before = torch.autograd.grad(rev, list(before.parameters()), retain_graph=True)
    r_after = torch.autograd.grad(rev, list(after.parameters()))
    for a, b in zip(r_before, g_before, strict=True):
        assert torch.allclose(a, -0.5 * b, atol=1e-15)
    for a, b in zip(r_after, g_after, strict=True):
        assert torch.equal(a, b)
