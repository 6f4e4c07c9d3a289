"""Tests for mllab.peft.lora: equal to the ``peft`` library's LoRA on the same layer (outputs and
gradients, merged and unmerged, float64), unchanged at initialisation, only A and B train,
merge then unmerge restores W_0, and the refusals."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from mllab.config import ConfigError
from mllab.peft.lora import LoRALinear, apply_lora

peft = pytest.importorskip("peft")
f64 = torch.float64


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj, self.v_proj, self.head = nn.Linear(6, 6), nn.Linear(6, 6), nn.Linear(6, 2)

    def forward(self, x):
        return self.head(torch.tanh(self.q_proj(x)) * self.v_proj(x))


def _pair(seed=0, r=2, alpha=5.0):
    torch.manual_seed(seed)
    base = _Net().double()
    theirs = peft.get_peft_model(copy.deepcopy(base), peft.LoraConfig(
        target_modules=["q_proj", "v_proj"], r=r, lora_alpha=alpha, lora_dropout=0.0))
    ours = copy.deepcopy(base)
    apply_lora(ours, ("q_proj", "v_proj"), r=r, alpha=alpha)
    with torch.no_grad():
        for name in ("q_proj", "v_proj"):
            layer, hf = getattr(ours, name), getattr(theirs.base_model.model, name)
            layer.A.normal_()
            layer.B.normal_()  # B != 0, so that the update shows
            hf.lora_A["default"].weight.copy_(layer.A)
            hf.lora_B["default"].weight.copy_(layer.B)
    return ours, theirs


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("r", "alpha"), [(1, 1.0), (2, 5.0), (4, 16.0)])
def test_equals_peft_lora_outputs_and_gradients(seed, r, alpha):
    ours, theirs = _pair(seed, r, alpha)
    x = torch.randn(5, 6, dtype=f64)
    out, expected = ours(x), theirs(x)
    assert (out - expected).abs().max() < 1e-12
    out.sin().sum().backward()
    expected.sin().sum().backward()
    hf = theirs.base_model.model.q_proj
    assert (ours.q_proj.A.grad - hf.lora_A["default"].weight.grad).abs().max() < 1e-12
    assert (ours.q_proj.B.grad - hf.lora_B["default"].weight.grad).abs().max() < 1e-12


def test_merged_equals_unmerged_and_equals_peft_merged():
    ours, theirs = _pair(seed=3)
    x = torch.randn(4, 6, dtype=f64)
    unmerged = ours(x)
    for name in ("q_proj", "v_proj"):
        getattr(ours, name).merge()
    assert (ours(x) - unmerged).abs().max() < 1e-12
    merged_peft = theirs.merge_and_unload()
    assert (ours.q_proj.base.weight - merged_peft.q_proj.weight).abs().max() < 1e-12
    assert (ours(x) - merged_peft(x)).abs().max() < 1e-12


def test_merge_then_unmerge_restores_the_frozen_weight():
    layer = LoRALinear(nn.Linear(5, 3).double(), r=2)
    with torch.no_grad():
        layer.B.normal_()
    w0 = layer.base.weight.clone()
    layer.merge()
    assert not torch.equal(layer.base.weight, w0)
    layer.unmerge()
    assert (layer.base.weight - w0).abs().max() < 1e-14
    with pytest.raises(ConfigError, match="unmerge must be called on a merged layer"):
        layer.unmerge()


def test_at_initialisation_nothing_changes_and_only_a_and_b_train():
    torch.manual_seed(0)
    base = _Net().double()
    ours = copy.deepcopy(base)
    assert apply_lora(ours, ("q_proj", "v_proj")) == ["q_proj", "v_proj"]
    x = torch.randn(3, 6, dtype=f64)
    assert torch.equal(ours(x), base(x))  # B = 0
    trainable = {n for n, p in ours.named_parameters() if p.requires_grad}
    assert trainable == {"q_proj.A", "q_proj.B", "v_proj.A", "v_proj.B"}
    before = {n: p.clone() for n, p in ours.named_parameters()}
    optimizer = torch.optim.SGD([p for p in ours.parameters() if p.requires_grad], lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        ours(x).pow(2).sum().backward()
        optimizer.step()
    changed = {n for n, p in ours.named_parameters() if not torch.equal(p, before[n])}
    assert changed == trainable


@pytest.mark.parametrize(("call", "message"), [
    (lambda: LoRALinear(nn.Linear(3, 3), r=0), "r must be an integer >= 1"),
    (lambda: LoRALinear(nn.Linear(3, 3), alpha=0), "alpha must be > 0"),
    (lambda: LoRALinear(nn.Conv1d(3, 3, 1)), "base must be an nn.Linear"),
    (lambda: apply_lora(_Net(), ("k_proj",)), "targets must be names of nn.Linear layers"),
])
def test_refusals(call, message):
    with pytest.raises(ConfigError, match=message):
        call()
