r"""Post-training quantisation of weights to :math:`b` bits (Network Compression lecture).

Per-tensor affine quantisation maps :math:`[x_{\min}, x_{\max}]` (widened to contain 0, so
that 0 is exact) onto the integers :math:`0, \dots, 2^b - 1`:

.. math::
    s = \frac{x_{\max} - x_{\min}}{2^b - 1}, \qquad
    z = \mathrm{clamp}\big(-\mathrm{round}(x_{\min}/s),\ 0,\ 2^b - 1\big),

    q = \mathrm{clamp}\big(\mathrm{round}(x/s) + z,\ 0,\ 2^b - 1\big), \qquad
    \hat x = s\,(q - z).

Stored with :math:`b` bits per weight (packed into bytes) plus :math:`s` and :math:`z`, a
float32 tensor shrinks by about :math:`32/b`; :func:`size_on_disk` measures the safetensors
file of the packed weights.

Differences from ``torch.ao.quantization``: for :math:`b = 8` the scale and zero point are
those of ``MinMaxObserver(dtype=torch.quint8)`` and :math:`q` that of
``torch.quantize_per_tensor``; torch offers no packed storage below 8 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from safetensors.torch import save as save_tensors
from torch import Tensor, nn

__all__ = ["QuantizedTensor", "dequantize", "dequantize_model", "pack_bits", "quantize",
           "quantize_model", "size_on_disk", "unpack_bits"]


@dataclass
class QuantizedTensor:
    r"""Integers :math:`q` (``uint8``, one per entry), scale :math:`s`, zero point :math:`z`."""

    q: Tensor
    scale: float
    zero_point: int
    bits: int


def quantize(x: Tensor, bits: int = 8) -> QuantizedTensor:
    r"""Per-tensor affine quantisation of ``x`` to ``bits`` bits (1 to 8)."""
    if not 1 <= bits <= 8:
        raise ValueError(f"bits must be in 1..8, got {bits!r}")
    q_max = 2**bits - 1
    x_min, x_max = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = (x_max - x_min) / q_max
    scale = max(float(torch.tensor(scale, dtype=torch.float32)),
                torch.finfo(torch.float32).eps)  # float32 like torch's observers
    zero_point = int(min(max(-round(x_min / scale), 0), q_max))
    q = torch.clamp(torch.round(x.detach().float() / scale) + zero_point, 0, q_max)
    return QuantizedTensor(q.to(torch.uint8), scale, zero_point, bits)


def dequantize(t: QuantizedTensor) -> Tensor:
    r""":math:`\hat x = s (q - z)`, float32."""
    return t.scale * (t.q.float() - t.zero_point)


def pack_bits(q: Tensor, bits: int) -> Tensor:
    r"""``bits``-bit integers ``(n,)`` packed into ``ceil(n bits / 8)`` bytes, low bits first."""
    flat = q.flatten().to(torch.int64)
    powers = 2 ** torch.arange(bits)
    planes = (flat.unsqueeze(1) // powers) % 2  # (n, bits)
    stream = planes.flatten()
    stream = torch.cat([stream, stream.new_zeros(-stream.numel() % 8)])
    return (stream.view(-1, 8) * 2 ** torch.arange(8)).sum(1).to(torch.uint8)  # (bytes,)


def unpack_bits(packed: Tensor, bits: int, n: int) -> Tensor:
    r"""Inverse of :func:`pack_bits`: the first ``n`` integers, ``uint8``."""
    stream = (packed.to(torch.int64).unsqueeze(1) // 2 ** torch.arange(8)) % 2  # (bytes, 8)
    planes = stream.flatten()[: n * bits].view(n, bits)
    return (planes * 2 ** torch.arange(bits)).sum(1).to(torch.uint8)


def quantize_model(model: nn.Module, bits: int = 8) -> dict[str, QuantizedTensor]:
    r"""Every floating-point tensor of ``model.state_dict()``, quantised."""
    return {k: quantize(v, bits) for k, v in model.state_dict().items()
            if v.is_floating_point()}


def dequantize_model(model: nn.Module, quantized: dict[str, QuantizedTensor]) -> None:
    r"""Load the dequantised tensors into ``model`` (the accuracy of the quantised model)."""
    state = model.state_dict()
    for k, t in quantized.items():
        state[k] = dequantize(t).view_as(state[k]).to(state[k].dtype)
    model.load_state_dict(state)


def size_on_disk(tensors: dict[str, Tensor] | dict[str, QuantizedTensor]) -> int:
    r"""Bytes of the safetensors file holding ``tensors``: float tensors as they are, a
    :class:`QuantizedTensor` as its packed bits plus its scale and zero point."""
    files: dict[str, Tensor] = {}
    for k, v in tensors.items():
        if isinstance(v, QuantizedTensor):
            files[f"{k}.q"] = pack_bits(v.q, v.bits)
            files[f"{k}.affine"] = torch.tensor([v.scale, v.zero_point], dtype=torch.float32)
        else:
            files[k] = v.detach().contiguous()
    return len(save_tensors(files))
