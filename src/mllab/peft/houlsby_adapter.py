r"""The Houlsby adapter: a small bottleneck network inserted after a block's feed-forward.

Houlsby et al., "Parameter-Efficient Transfer Learning for NLP", arXiv:1902.00751, §2.1 and
Fig. 2. Down-project to :math:`m \ll d`, a nonlinearity, up-project, with a skip connection;
the pre-trained model is frozen and only the adapters (and the task head) are trained:

.. math:: \mathrm{Adapter}(h) = h + W_{up}\, \phi(W_{down} h + b_{down}) + b_{up}

The up-projection starts at zero (the paper: "near-identity initialization"), so inserting the
adapter leaves the model's output unchanged. :func:`insert_houlsby_adapters` puts one after the
feed-forward of every ``mllab.transformer.EncoderBlock`` (the paper also adds one after
attention; the lecture's figure shows the feed-forward one).
"""

from __future__ import annotations

from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.transformer.encoder_block import EncoderBlock

__all__ = ["HoulsbyAdapter", "insert_houlsby_adapters"]


class HoulsbyAdapter(nn.Module):
    r""":math:`h + W_{up} \phi(W_{down} h + b_{down}) + b_{up}`, with :math:`W_{up} = 0,
    b_{up} = 0` at first."""

    def __init__(self, d_model: int, bottleneck: int) -> None:
        super().__init__()
        require_int("d_model", d_model, 1)
        require_int("bottleneck", bottleneck, 1)
        self.down, self.up = nn.Linear(d_model, bottleneck), nn.Linear(bottleneck, d_model)
        self.activation = nn.GELU()
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, h: Tensor) -> Tensor:
        return h + self.up(self.activation(self.down(h)))


def insert_houlsby_adapters(model: nn.Module, bottleneck: int) -> list[str]:
    r"""Freeze ``model`` and put a :class:`HoulsbyAdapter` after the feed-forward network of
    every encoder block (``block.ffn`` becomes ``Sequential(ffn, adapter)``).

    Returns:
        The names of the adapters' parameters (the only ones left trainable).
    """
    model.requires_grad_(False)
    blocks = [m for m in model.modules() if isinstance(m, EncoderBlock)]
    require(bool(blocks), "model", "a model with mllab.transformer.EncoderBlock blocks",
            type(model).__name__)
    for block in blocks:
        adapter = HoulsbyAdapter(block.norm1.normalized_shape[0], bottleneck)
        block.ffn = nn.Sequential(block.ffn, adapter.to(block.norm1.weight))
    return [n for n, p in model.named_parameters() if p.requires_grad]
