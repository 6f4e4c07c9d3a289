"""The shared quadratic penalty by hand; merging two keeps the sum's gradient."""

import torch
from torch import nn

from mllab.lifelong.quadratic_penalty import Consolidation, quadratic_penalty, snapshot


def test_by_hand():
    params = {"a": torch.tensor([1.0, 2.0]), "b": torch.tensor([[3.0]])}
    anchor = {"a": torch.tensor([0.0, 0.0]), "b": torch.tensor([[1.0]])}
    importance = {"a": torch.tensor([1.0, 0.5]), "b": torch.tensor([[2.0]])}
    # 1 * 1 + 0.5 * 4 + 2 * 4 = 11, times 0.5
    assert quadratic_penalty(params, anchor, importance, 0.5).item() == 5.5


def test_consolidation_on_a_model_and_merging():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    c1 = Consolidation(snapshot(model), {n: torch.rand_like(p) for n, p in
                                         model.named_parameters()}, 2.0)
    assert c1(model).item() == 0.0
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    c2 = Consolidation(snapshot(model), {n: torch.rand_like(p) for n, p in
                                         model.named_parameters()}, 2.0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    separate = torch.autograd.grad(c1(model) + c2(model), list(model.parameters()))
    merged = torch.autograd.grad(c1.merged(c2)(model), list(model.parameters()))
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(separate, merged, strict=True))
