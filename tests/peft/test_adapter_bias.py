"""Tests for mllab.peft.adapter_bias: the shift x + L_α(x) v by hand, unchanged at insertion,
2d + 1 parameters per block, only they train."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.peft.adapter_bias import AdapterBias, insert_adapter_bias
from mllab.pretraining import Bert, BertConfig


def test_the_shift_by_hand():
    shift = AdapterBias(4).double()
    with torch.no_grad():
        shift.v.normal_()
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    alpha = x @ shift.alpha.weight[0] + shift.alpha.bias  # (2, 3)
    assert (shift(x) - (x + alpha[..., None] * shift.v)).abs().max() < 1e-14


def test_inserting_changes_nothing_and_only_the_shifts_train():
    torch.manual_seed(0)
    model = Bert(BertConfig(vocab=11, d_model=8, num_heads=2, d_ff=16, num_layers=2)).double()
    x = torch.randint(0, 11, (2, 6))
    before = model(x)
    names = insert_adapter_bias(model)
    assert torch.equal(model(x), before)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 2 * (2 * 8 + 1)
    model(x).pow(2).mean().backward()
    grads = {n for n, p in model.named_parameters() if p.grad is not None}
    assert grads == set(names)


def test_a_model_without_encoder_blocks_is_refused():
    with pytest.raises(ConfigError, match="model must be a model with"):
        insert_adapter_bias(torch.nn.Linear(2, 2))
