"""EWC: the Fisher diagonal by hand at W = 0 and against per-example backward passes; the
penalty (lambda/2) sum F (theta - theta*)^2 by hand."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mllab.lifelong.ewc import ewc, fisher_diagonal


def test_fisher_by_hand_at_zero_weights():
    # z = W x, p = (1/2, 1/2): d log p_y / dW_k = (1[k=y] - 1/2) x, squared x^2 / 4
    model = nn.Linear(1, 2, bias=False)
    nn.init.zeros_(model.weight)
    x = torch.tensor([[1.0], [2.0], [3.0]])
    expected = torch.full((2, 1), 14 / 12)
    assert torch.allclose(fisher_diagonal(model, x, torch.tensor([0, 1, 1]))["weight"], expected)
    sampled = fisher_diagonal(model, x, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(sampled["weight"], expected)  # the same whatever labels are drawn
    with pytest.raises(ValueError, match="generator"):
        fisher_diagonal(model, x)


def test_fisher_against_per_example_backward():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4)).double()
    x, y = torch.randn(7, 3, dtype=torch.float64), torch.randint(4, (7,))
    fisher = fisher_diagonal(model, x, y)
    ref = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    for xn, yn in zip(x, y, strict=True):
        model.zero_grad()
        F.log_softmax(model(xn[None]), -1)[0, yn].backward()
        for n, p in model.named_parameters():
            ref[n] += p.grad**2 / len(x)
    assert all(torch.allclose(fisher[n], ref[n], atol=1e-12) for n in ref)


def test_the_penalty_by_hand():
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -1.0]]))
    penalty = ewc(model, {"weight": torch.tensor([[2.0, 3.0]])}, lam=4.0)
    with torch.no_grad():
        model.weight.add_(torch.tensor([[0.5, 1.0]]))
    # lam / 2 * (2 * 0.25 + 3 * 1) = 2 * 3.5
    assert penalty(model).item() == 7.0
