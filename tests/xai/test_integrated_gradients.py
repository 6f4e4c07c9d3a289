"""Integrated gradients: captum's IntegratedGradients with the same steps, method and
baseline; completeness (attributions sum to f(x) − f(x')); the closed form on a linear
model; quadrature weights summing to 1."""

import sys
from pathlib import Path

import pytest
import torch
from captum.attr import IntegratedGradients

from mllab.xai import METHODS, integrated_gradients, quadrature

sys.path.insert(0, str(Path(__file__).parent))
from xai_models import batch, small_model  # noqa: E402


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_left", "riemann_right",
                                    "riemann_middle"])
def test_same_as_captum(method):
    model, (x, t) = small_model(), batch()
    base = torch.full_like(x, 0.3)
    ref = IntegratedGradients(model).attribute(x, baselines=base, target=t, n_steps=20,
                                               method=method)
    ours = integrated_gradients(model, x, t, base, n_steps=20, method=method)
    # captum casts its weights to float32: |error| <= 2^-24 * |attribution|
    assert torch.allclose(ours, ref, atol=2 ** -24 * ref.abs().max().item(), rtol=0)


@pytest.mark.parametrize("method", METHODS)
def test_completeness(method):
    model, (x, t) = small_model(), batch()
    ig = integrated_gradients(model, x, t, n_steps=64, method=method)
    with torch.no_grad():
        gap = (model(x) - model(torch.zeros_like(x))).gather(1, t[:, None]).squeeze(1)
    tol = 1e-10 if method == "gausslegendre" else 1e-3
    assert torch.allclose(ig.sum(dim=(1, 2, 3)), gap, atol=tol)


def test_linear_model_closed_form_and_weights():
    lin = torch.nn.Linear(3, 2).double()
    x, base = torch.randn(4, 3, dtype=torch.float64), torch.randn(1, 3, dtype=torch.float64)
    t = torch.tensor([0, 1, 1, 0])
    ig = integrated_gradients(lin, x, t, base, n_steps=2, method="riemann_trapezoid")
    assert torch.allclose(ig, (x - base) * lin.weight[t])
    for method in METHODS:
        assert abs(sum(quadrature(7, method)[1]) - 1) < 1e-12
