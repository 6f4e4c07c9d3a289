r"""Prefix tuning: trainable keys and values that every attention layer sees first.

Li & Liang, "Prefix-Tuning: Optimizing Continuous Prompts for Generation", arXiv:2101.00190,
§4. The frozen model's attention layers get :math:`P` extra key and value vectors per head,
placed before the tokens' own; each query attends over both:

.. math::
    \mathrm{head}_i = \operatorname{softmax}\!\Big(\frac{q\, [P_K^{(i)}; K^{(i)}]^\top}
    {\sqrt{d_h}}\Big)\, [P_V^{(i)}; V^{(i)}]

Only :math:`P_K, P_V` train. Unlike LoRA and the bottleneck adapters, a prefix changes the
output from the start (the paper initialises it from real tokens' activations; here from
:math:`\mathcal{N}(0, 1)`). The paper reparametrises :math:`P` through an MLP during training
for stability; this version trains :math:`P` directly (the paper's ablation, §7.2).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.attention.multi_head import KVCache, MultiHeadAttention
from mllab.config import require, require_int

__all__ = ["PrefixAttention", "insert_prefixes"]


class PrefixAttention(nn.Module):
    r"""A frozen :class:`MultiHeadAttention` whose keys and values start with a trainable
    prefix :math:`P_K, P_V` of ``length`` positions per head."""

    def __init__(self, attention: MultiHeadAttention, length: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        require_int("length", length, 1)
        self.attention = attention.requires_grad_(False)
        w = attention.q_proj.weight
        shape = (attention.num_heads, length, attention.head_size)  # (nh, P, hs)
        self.prefix_k = nn.Parameter(torch.randn(shape, generator=generator).to(w))
        self.prefix_v = nn.Parameter(torch.randn(shape, generator=generator).to(w))

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                mask: Tensor | None = None, is_causal: bool = False,
                kv_cache: KVCache | None = None, need_weights: bool = False):
        r"""As :meth:`MultiHeadAttention.forward`, with the prefix before the keys.

        ``mask`` covers the tokens' keys; the prefix is always visible. No ``kv_cache``: a
        cache would count the prefix among the positions.
        """
        require(kv_cache is None, "kv_cache", "None (prefix tuning decodes without a cache)",
                "a cache")
        B, P = query.shape[0], self.prefix_k.shape[1]
        cache = KVCache()
        cache.append(self.prefix_k.expand(B, -1, -1, -1),
                     self.prefix_v.expand(B, -1, -1, -1))  # (B, nh, P, hs): the prefix first
        if mask is not None:
            mask = torch.cat([mask.new_ones(*mask.shape[:-1], P), mask], dim=-1)  # (..., P + T)
        return self.attention(query, key, value, mask=mask, is_causal=is_causal, kv_cache=cache,
                              need_weights=need_weights)


def insert_prefixes(model: nn.Module, length: int,
                    generator: torch.Generator | None = None) -> list[str]:
    r"""Freeze ``model`` and give every ``self_attn`` :class:`MultiHeadAttention` a prefix of
    ``length`` positions; return the names of the parameters left trainable."""
    model.requires_grad_(False)
    targets = [(parent, name) for parent in model.modules()
               for name, child in parent.named_children()
               if name == "self_attn" and isinstance(child, MultiHeadAttention)]
    require(bool(targets), "model", "a model with self_attn MultiHeadAttention layers",
            type(model).__name__)
    for parent, name in targets:
        setattr(parent, name, PrefixAttention(getattr(parent, name), length, generator))
    return [n for n, p in model.named_parameters() if p.requires_grad]
