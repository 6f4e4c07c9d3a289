"""Tests for mllab.peft.bitfit: only biases (and kept modules) train, nothing changes at
initialisation, and the refusal of an unknown module."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.peft.bitfit import bitfit
from mllab.pretraining import Bert, BertConfig, SequenceClassifierHead


def test_only_biases_and_the_head_train():
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"bert": Bert(BertConfig(vocab=11, d_model=8, num_heads=2,
                                                          d_ff=16, num_layers=1))})
    model["head"] = SequenceClassifierHead(model["bert"], 3)
    x = torch.randint(0, 11, (2, 5))
    before = model["bert"](x)
    names = bitfit(model, keep=("head",))
    assert torch.equal(model["bert"](x), before)
    assert "head.linear.weight" in names and "bert.blocks.0.ffn.0.bias" in names
    assert all(n.endswith("bias") or n.startswith("head.") for n in names)
    share = sum(p.numel() for p in model.parameters() if p.requires_grad) / sum(
        p.numel() for p in model.parameters())
    assert share < 0.15
    model["head"](model["bert"].pool(model["bert"](x))).sum().backward()
    assert model["bert"].blocks[0].self_attn.q_proj.weight.grad is None
    assert model["bert"].blocks[0].self_attn.q_proj.bias.grad is not None


def test_an_unknown_module_to_keep_is_refused():
    with pytest.raises(ConfigError, match="keep must be names of submodules"):
        bitfit(torch.nn.Linear(2, 2), keep=("head",))
