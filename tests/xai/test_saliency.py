"""Saliency: captum's Saliency (absolute and signed), and the gradient of a linear model is
its weights."""

import sys
from pathlib import Path

import torch
from captum.attr import Saliency

from mllab.xai import saliency

sys.path.insert(0, str(Path(__file__).parent))
from xai_models import batch, small_model  # noqa: E402


def test_same_as_captum():
    model, (x, t) = small_model(), batch()
    for absolute in (True, False):
        ref = Saliency(model).attribute(x, target=t, abs=absolute)
        assert torch.allclose(saliency(model, x, t, absolute), ref, atol=1e-15, rtol=0)


def test_linear_model_gradient_is_its_weights():
    lin = torch.nn.Linear(3, 2).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    t = torch.tensor([0, 1, 1, 0])
    assert torch.allclose(saliency(lin, x, t, absolute=False), lin.weight[t])
