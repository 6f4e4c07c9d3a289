"""Quantisation: 2^b levels, idempotent, and a perturbation below half a level vanishes."""

import torch

from mllab.adversarial.input_quantisation import quantise


def test_levels_idempotence_and_small_perturbations():
    x = torch.rand(500, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    q = quantise(x, 2)
    assert set((q * 3).round().tolist()) <= {0.0, 1.0, 2.0, 3.0}
    assert torch.equal(quantise(q, 2), q)
    levels = torch.arange(8, dtype=torch.float64) / 7
    assert torch.equal(quantise(levels + 0.04, 3), levels)  # 0.04 < 1 / 14
