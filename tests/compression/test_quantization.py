"""Quantisation: scale, zero point and integers of torch's per-tensor affine quint8, the error
within s/2, packing round trip, and the size on disk shrinking by about 32/b."""

import pytest
import torch
from torch import nn
from torch.ao.quantization.observer import MinMaxObserver

from mllab.compression.quantization import (
    dequantize,
    dequantize_model,
    pack_bits,
    quantize,
    quantize_model,
    size_on_disk,
    unpack_bits,
)


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor")
@pytest.mark.parametrize("shift", [0.0, 3.0, -3.0])
def test_eight_bits_is_torchs_per_tensor_affine(shift):
    x = torch.randn(50, 20, generator=torch.Generator().manual_seed(0)) + shift
    t = quantize(x, 8)
    observer = MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    observer(x)
    scale, zero_point = observer.calculate_qparams()
    assert t.scale == pytest.approx(float(scale), rel=1e-6) and t.zero_point == int(zero_point)
    ref = torch.quantize_per_tensor(x, t.scale, t.zero_point, torch.quint8)
    assert torch.equal(t.q, ref.int_repr())
    assert torch.allclose(dequantize(t), ref.dequantize())


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_error_is_at_most_half_a_step_and_zero_is_exact(bits):
    x = torch.cat([torch.randn(300, generator=torch.Generator().manual_seed(bits)),
                   torch.zeros(1)])
    t = quantize(x, bits)
    assert int(t.q.max()) <= 2**bits - 1
    assert (dequantize(t) - x).abs().max() <= t.scale / 2 + 1e-6
    assert dequantize(t)[-1] == 0


@pytest.mark.parametrize("bits", [1, 3, 4, 8])
def test_packing_round_trip(bits):
    q = torch.randint(2**bits, (101,), generator=torch.Generator().manual_seed(0))
    packed = pack_bits(q, bits)
    assert packed.numel() == -(-101 * bits // 8)
    assert torch.equal(unpack_bits(packed, bits, 101), q.to(torch.uint8))


def test_model_size_on_disk_and_accuracy_of_the_dequantised_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    n = sum(p.numel() for p in model.parameters())
    x = torch.randn(16, 64)
    y = model(x)
    full = size_on_disk(model.state_dict())
    assert 0 <= full - 4 * n < 500  # the header aside
    for bits in (8, 4, 2):
        payload = sum(-(-p.numel() * bits // 8) + 8 for p in model.parameters())
        assert 0 <= size_on_disk(quantize_model(model, bits)) - payload < 1000  # 8 entries
    copy = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    dequantize_model(copy, quantize_model(model, 8))
    assert (copy(x) - y).abs().max() < 0.05 * y.abs().max()
