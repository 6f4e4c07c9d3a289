"""Magnitude pruning against torch.nn.utils.prune (l1_unstructured, its repetition,
ln_structured); masks stay applied while training and survive a state_dict."""

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from mllab.compression.magnitude_pruning import (
    apply_mask,
    get_mask,
    magnitude_mask,
    remove_mask,
    sparsity,
    structured_mask,
)


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.5, 0.9])
def test_unstructured_mask_is_torchs_l1_unstructured(amount):
    torch.manual_seed(0)
    layer = nn.Linear(10, 7)
    ours = magnitude_mask(layer.weight, amount)
    prune.l1_unstructured(layer, "weight", amount)
    assert torch.equal(ours, layer.weight_mask)


def test_repeated_pruning_works_on_the_surviving_weights_like_torch():
    torch.manual_seed(1)
    layer = nn.Linear(12, 5)
    m1 = magnitude_mask(layer.weight, 0.4)
    m2 = magnitude_mask(layer.weight * m1, 0.5, m1)
    prune.l1_unstructured(layer, "weight", 0.4)
    prune.l1_unstructured(layer, "weight", 0.5)
    assert torch.equal(m2, layer.weight_mask)
    assert int(m2.sum()) == 60 - 24 - 18


@pytest.mark.parametrize(("p", "dim"), [(2, 0), (1, 0), (2, 1)])
def test_structured_mask_is_torchs_ln_structured(p, dim):
    torch.manual_seed(2)
    conv = nn.Conv2d(4, 6, 3)
    ours = structured_mask(conv.weight, 0.5, p=p, dim=dim)
    prune.ln_structured(conv, "weight", 0.5, n=p, dim=dim)
    assert torch.equal(ours, conv.weight_mask)


def test_masks_stay_applied_while_training_and_in_the_state_dict():
    torch.manual_seed(3)
    layer = nn.Linear(6, 4)
    mask = magnitude_mask(layer.weight, 0.5)
    apply_mask(layer, mask)
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    x, y = torch.randn(32, 6), torch.randn(32, 4)
    for _ in range(5):
        opt.zero_grad()
        ((layer(x) - y) ** 2).mean().backward()
        opt.step()
    assert torch.all(layer.weight[mask == 0] == 0) and sparsity(layer) == 0.5  # biases aside
    assert torch.all(layer.parametrizations.weight.original.grad[mask == 0] == 0)
    copy = nn.Linear(6, 4)
    apply_mask(copy, torch.ones(4, 6))
    copy.load_state_dict(layer.state_dict())
    assert torch.equal(get_mask(copy), mask) and torch.equal(copy(x), layer(x))
    remove_mask(layer)
    assert get_mask(layer) is None and int((layer.weight == 0).sum()) == 12


def test_removing_the_mask_of_a_deep_copy_leaves_the_original_masked():
    import copy

    layer = nn.Linear(6, 4)
    mask = magnitude_mask(layer.weight, 0.5)
    apply_mask(layer, mask)
    plain = copy.deepcopy(layer)
    remove_mask(plain)
    assert type(plain) is nn.Linear and get_mask(plain) is None
    assert torch.equal(get_mask(layer), mask) and torch.equal(layer.weight, plain.weight)
