r"""AdapterBias: a token-dependent shift of the feed-forward's output, the adapters lecture.

Fu et al., "AdapterBias: Parameter-efficient Token-dependent Representation Shift for Adapters
in NLP Tasks", arXiv:2205.00305, §3. One vector :math:`v \in \mathbb{R}^d` per block, added to
every token's feed-forward output with a weight :math:`\alpha_t` that a linear layer computes
from that output, so each token moves by its own amount along a shared direction:

.. math:: \mathrm{FFN}'(h)_t = \mathrm{FFN}(h)_t + \alpha_t\, v, \qquad
          \alpha_t = L_\alpha\big(\mathrm{FFN}(h)_t\big) \in \mathbb{R}

:math:`v` starts at zero, so inserting it leaves the model's output unchanged; it adds
:math:`2d + 1` parameters per block.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.transformer.encoder_block import EncoderBlock

__all__ = ["AdapterBias", "insert_adapter_bias"]


class AdapterBias(nn.Module):
    r""":math:`x + L_\alpha(x)\, v` for the feed-forward output ``x`` ``(B, T, d)``."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        require_int("d_model", d_model, 1)
        self.v = nn.Parameter(torch.zeros(d_model))  # the shift direction v
        self.alpha = nn.Linear(d_model, 1)  # L_α

    def forward(self, x: Tensor) -> Tensor:
        return x + self.alpha(x) * self.v  # (B, T, 1) * (d,) -> (B, T, d)


def insert_adapter_bias(model: nn.Module) -> list[str]:
    r"""Freeze ``model`` and shift the feed-forward output of every encoder block with an
    :class:`AdapterBias`; return the names of the parameters left trainable."""
    model.requires_grad_(False)
    blocks = [m for m in model.modules() if isinstance(m, EncoderBlock)]
    require(bool(blocks), "model", "a model with mllab.transformer.EncoderBlock blocks",
            type(model).__name__)
    for block in blocks:
        shift = AdapterBias(block.norm1.normalized_shape[0]).to(block.norm1.weight)
        block.ffn = nn.Sequential(block.ffn, shift)
    return [n for n, p in model.named_parameters() if p.requires_grad]
