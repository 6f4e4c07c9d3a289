"""Tests for mllab.peft.houlsby_adapter: the bottleneck formula by hand, the model unchanged at
insertion, only adapters receive gradients and change, and the refusals."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.peft.houlsby_adapter import HoulsbyAdapter, insert_houlsby_adapters
from mllab.pretraining import Bert, BertConfig


def _bert():
    torch.manual_seed(0)
    return Bert(BertConfig(vocab=11, d_model=8, num_heads=2, d_ff=16, num_layers=2)).double()


def test_the_formula_by_hand():
    adapter = HoulsbyAdapter(4, 2).double()
    with torch.no_grad():
        adapter.up.weight.normal_()
    h = torch.randn(3, 4, dtype=torch.float64)
    by_hand = h + adapter.up(torch.nn.functional.gelu(h @ adapter.down.weight.T
                                                      + adapter.down.bias))
    assert (adapter(h) - by_hand).abs().max() < 1e-14


def test_inserting_changes_nothing_and_only_adapters_train():
    model = _bert()
    x = torch.randint(0, 11, (2, 6))
    before = model(x)
    names = insert_houlsby_adapters(model, bottleneck=3)
    assert torch.equal(model(x), before)
    assert len(names) == 2 * 4 and all(".ffn.1." in n for n in names)
    frozen = {n: p.clone() for n, p in model.named_parameters() if not p.requires_grad}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)
    assert not torch.equal(model(x), before)


def test_refusals():
    with pytest.raises(ConfigError, match="bottleneck must be an integer >= 1"):
        HoulsbyAdapter(4, 0)
    with pytest.raises(ConfigError, match="model must be a model with mllab.transformer"):
        insert_houlsby_adapters(torch.nn.Linear(2, 2), 2)
