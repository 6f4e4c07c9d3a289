"""Trainable share and bytes per task, by hand on a small model, with a tied weight and LoRA."""

import torch
from torch import nn

from mllab.peft import apply_lora
from mllab.peft.trainable import bytes_per_task, parameter_count, trainable_share


def test_counts_by_hand():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))  # 15 + 8 numbers
    assert parameter_count(model) == 23 and trainable_share(model) == 1.0
    assert bytes_per_task(model) == 23 * 4
    model[0].requires_grad_(False)
    assert parameter_count(model, True) == 8 and parameter_count(model, False) == 15
    assert trainable_share(model) == 8 / 23 and bytes_per_task(model.double()) == 8 * 8


def test_tied_weights_count_once_and_lora_adds_its_factors():
    emb = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    assert parameter_count(nn.ModuleList([emb, head])) == 40
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    apply_lora(model, ("0",), r=2)
    assert parameter_count(model, True) == 2 * 8 + 8 * 2  # A (r, d_in) and B (d_out, r)
    assert trainable_share(model) == 32 / (72 + 18 + 32)
    assert bytes_per_task(model) == 32 * torch.finfo(torch.float32).bits // 8
