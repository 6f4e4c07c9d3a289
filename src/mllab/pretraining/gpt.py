r"""GPT: a decoder-only Transformer that predicts the next token, the self-supervised lecture.

Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2), §2.3. Token and
position embeddings, N pre-LN blocks whose self-attention is causal (token :math:`t` sees
:math:`x_{\le t}`), a final layer normalization, and the output projection *tied* to the token
embedding:

.. math::
    h^{(0)}_t = E_{tok}[x_t] + E_{pos}[t], \qquad
    h^{(l)} = \mathrm{Block}_{causal}(h^{(l-1)}), \qquad
    p(x_{t+1} \mid x_{\le t}) = \operatorname{softmax}\big(E_{tok}\, \mathrm{LN}(h^{(N)}_t)\big)

A block is ``mllab.transformer.EncoderBlock`` with ``norm_first`` (pre-LN), the tanh GELU and
a causal mask. Generation keeps each block's keys and values in a ``KVCache``
(:meth:`GPT.step_function`), so every new token costs one position, not the whole prefix; any
method of ``mllab.decoding`` (greedy, beam search, sampling) drives it.

Initialisation: the embeddings as GPT-2's, :math:`\mathcal N(0, 0.02^2)` (PyTorch's
:math:`\mathcal N(0, 1)` through the tied output layer would start the loss near 20 nats
instead of :math:`\ln V`); everything else PyTorch's default.

Differences from GPT-2: no scaling of the residual projections' initialisation by
:math:`1/\sqrt{N}`; dropout draws from PyTorch's
global generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.attention.multi_head import KVCache
from mllab.config import require, require_int
from mllab.decoding.step import StepFn
from mllab.transformer.encoder_block import EncoderBlock, check_block_sizes

__all__ = ["GPT", "GPTConfig"]


@dataclass
class GPTConfig:
    r"""Sizes of a :class:`GPT`; the defaults are a small model for CPU experiments."""

    vocab: int
    r"""Number of tokens; an integer >= 1."""

    d_model: int = 64
    r"""Size :math:`d` of token vectors (GPT-2 small: 768); a positive multiple of
    ``num_heads``."""

    num_heads: int = 4
    r"""Attention heads; an integer >= 1 dividing ``d_model``."""

    d_ff: int = 256
    r"""Hidden size of the feed-forward networks (GPT-2: 4d); an integer >= 1."""

    num_layers: int = 2
    r"""Blocks :math:`N` (GPT-2 small: 12); an integer >= 1."""

    max_len: int = 128
    r"""Context length: the most positions a sequence may have; an integer >= 1."""

    dropout: float = 0.0
    r"""Dropout probability in training mode (GPT-2: 0.1); a float in [0, 1)."""

    def __post_init__(self) -> None:
        for name in ("vocab", "num_layers", "max_len"):
            require_int(name, getattr(self, name), 1)
        check_block_sizes(self.d_model, self.num_heads, self.d_ff, self.dropout, "gelu_tanh")
        require(self.d_model % self.num_heads == 0, "num_heads",
                f"a divisor of d_model = {self.d_model}", self.num_heads)


class GPT(nn.Module):
    r"""Token and position embeddings, N causal pre-LN blocks, final LN, tied output layer."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        c = self.config = config
        self.token_embedding = nn.Embedding(c.vocab, c.d_model)  # E_tok, also the output layer
        self.position_embedding = nn.Embedding(c.max_len, c.d_model)  # E_pos
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(c.d_model, c.num_heads, c.d_ff, dropout=c.dropout, norm_first=True,
                         activation="gelu_tanh") for _ in range(c.num_layers))
        self.final_norm = nn.LayerNorm(c.d_model)
        nn.init.normal_(self.token_embedding.weight, std=0.02)  # GPT-2's initializer_range
        nn.init.normal_(self.position_embedding.weight, std=0.02)

    def new_cache(self) -> list[KVCache]:
        r"""An empty key/value cache for :meth:`hidden`, one per block."""
        return [KVCache() for _ in self.blocks]

    def hidden(self, tokens: Tensor, cache: list[KVCache] | None = None) -> Tensor:
        r"""The normalised last-block vectors :math:`\mathrm{LN}(h^{(N)})` ``(B, T, d)``.

        Args:
            tokens: Token ids ``(B, T)``; with a ``cache``, the tokens after the cached ones.
            cache: From :meth:`new_cache`, holding the earlier positions; updated in place.
        """
        offset = 0 if cache is None else cache[0].length
        T = tokens.shape[1]
        require(offset + T <= self.config.max_len, "tokens",
                f"at most max_len = {self.config.max_len} positions", offset + T)
        positions = torch.arange(offset, offset + T, device=tokens.device)
        h = self.dropout(self.token_embedding(tokens) + self.position_embedding(positions))
        for i, block in enumerate(self.blocks):
            h = block(h, is_causal=True, kv_cache=None if cache is None else cache[i])
        return self.final_norm(h)  # (B, T, d)

    def forward(self, tokens: Tensor, cache: list[KVCache] | None = None) -> Tensor:
        r"""Next-token logits ``(B, T, V)``: :math:`E_{tok}` times :meth:`hidden`."""
        return self.hidden(tokens, cache) @ self.token_embedding.weight.T  # (B, T, V)

    def step_function(self) -> tuple[StepFn, dict]:
        r"""A step function for ``mllab.decoding`` that decodes with the key/value cache.

        Returns:
            ``(step_fn, init_state)``: ``step_fn(tokens (N, t), state)`` feeds the tokens not yet
            cached (the whole prompt at the first call, then one token) and returns the last
            position's logits ``(N, V)``; the state is batch-first, so the default
            ``reorder_state`` moves beam hypotheses.
        """

        def step_fn(tokens: Tensor, state: dict) -> tuple[Tensor, dict]:
            cache = state["cache"]
            h = self.hidden(tokens[:, cache[0].length:], cache)[:, -1]  # (N, d): last position
            return h @ self.token_embedding.weight.T, state  # (N, V), the only logits needed

        return step_fn, {"cache": self.new_cache()}
