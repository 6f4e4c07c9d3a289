"""Probing: the hooks return each layer's output as the sub-network computes it; a probe reads
a linearly encoded label (held out) and stays near chance on noise; it is deterministic."""

import torch
from torch import nn

from mllab.xai import layer_outputs, probe_accuracy, train_probe


def test_layer_outputs_match_the_sub_network():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    x = torch.randn(3, 4)
    out = layer_outputs(model, x, ["0", "1"])
    assert torch.equal(out["0"], model[0](x)) and torch.equal(out["1"], model[1](model[0](x)))
    assert not model._forward_hooks and not model[0]._forward_hooks


def test_reads_an_encoded_label_and_not_noise():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(400, 8, generator=g, dtype=torch.float64)
    y = (h[:, 2] - h[:, 5] > 0).long()
    probe = train_probe(h[:200], y[:200], 2)
    assert probe_accuracy(probe, h[200:], y[200:]) > 0.95
    noise = torch.randint(2, (400,), generator=g)
    chance = train_probe(h[:200], noise[:200], 2)
    assert abs(probe_accuracy(chance, h[200:], noise[200:]) - 0.5) < 0.12
    again = train_probe(h[:200], y[:200], 2)
    assert torch.equal(again.linear.weight, probe.linear.weight)
