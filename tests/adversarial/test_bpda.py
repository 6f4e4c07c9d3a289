"""BPDA: the defence's values forward and the identity's gradient backward, against autograd
through the identity and through the defence (whose rounding has gradient zero)."""

import torch

from mllab.adversarial import bpda, quantise


def test_forward_is_the_defence_backward_is_the_identity():
    x = torch.rand(3, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 1, 4, 4, dtype=torch.float64)
    y = bpda(quantise)(x)
    assert torch.equal(y, quantise(x))
    (g,) = torch.autograd.grad((w * y).sum(), x)
    assert torch.equal(g, w)
    (g0,) = torch.autograd.grad((w * quantise(x)).sum(), x)
    assert torch.count_nonzero(g0) == 0  # why an attacker needs BPDA
