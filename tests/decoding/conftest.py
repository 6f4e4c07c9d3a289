"""Toy autoregressive models for the decoding tests, each a step function of the protocol in
``mllab.decoding.step``:

- :class:`TableLM`: a random but fixed table of logits, one row per prefix (a plain function of
  the whole prefix; small enough to enumerate every sequence);
- :class:`TinyAttentionLM`: one attention head over the prefix, either recomputed from the
  whole prefix (``full``) or incremental with a key/value cache in the state (``cached``).
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import Tensor


class TableLM:
    r"""Logits :math:`z = W[\mathrm{code}(y_{<t})]`, a distinct random row for each prefix."""

    def __init__(self, vocab: int, seed: int, scale: float = 1.5, max_prefix: int = 6) -> None:
        self.base = vocab + 3  # token ids up to vocab + 1 (BOS and prompts), shifted by 1
        g = torch.Generator().manual_seed(seed)
        exact = self.base ** max_prefix  # one row per prefix of up to max_prefix tokens
        self.rows = exact if exact <= 2 ** 18 else 65521  # else hashed: still a fixed function
        self.W = scale * torch.randn(self.rows, vocab, generator=g, dtype=torch.float64)
        self.calls = 0

    def __call__(self, tokens: Tensor, state: object) -> tuple[Tensor, None]:
        self.calls += 1
        powers = self.base ** torch.arange(tokens.shape[1])  # (t,)
        code = ((tokens + 1) * powers).sum(dim=1)  # (N,) distinct for distinct prefixes
        return self.W[code % self.rows], None

    def log_prob(self, prefix: list[int], y: list[int]) -> float:
        r""":math:`\log P(y \mid \mathrm{prefix})` by the chain rule, one prefix at a time."""
        total = 0.0
        for t, token in enumerate(y):
            logits, _ = self(torch.tensor([prefix + y[:t]]), None)
            total += torch.log_softmax(logits[0], dim=-1)[token].item()
        return total

    def enumerate(self, prefix: list[int], eos: int, max_len: int) -> list[tuple[list[int], float]]:
        r"""Every sequence beam search can return: EOS-terminated, or cut at ``max_len``."""
        words = [v for v in range(self.W.shape[1]) if v != eos]
        out = []
        for n in range(max_len):
            out += [list(w) + [eos] for w in itertools.product(words, repeat=n)]
        out += [list(w) for w in itertools.product(words, repeat=max_len)]
        return [(y, self.log_prob(prefix, y)) for y in out]


class TinyAttentionLM:
    r"""One causal attention head: :math:`z_t = W_o\,\mathrm{softmax}(q_t K^\top/\sqrt{d})\,V`."""

    def __init__(self, vocab_in: int, vocab: int, seed: int, d: int = 8, max_t: int = 32) -> None:
        g = torch.Generator().manual_seed(seed)

        def r(*shape: int) -> Tensor:
            return torch.randn(*shape, generator=g, dtype=torch.float64)

        self.E, self.P = r(vocab_in, d), r(max_t, d)
        self.Wq, self.Wk, self.Wv = r(d, d), r(d, d), r(d, d)
        self.Wo = 2.0 * r(d, vocab)
        self.d = d

    def _embed(self, tokens: Tensor, start: int) -> Tensor:
        return self.E[tokens] + self.P[start:start + tokens.shape[1]]  # (N, t, d)

    def _logits(self, x_last: Tensor, k: Tensor, v: Tensor) -> Tensor:
        q = x_last @ self.Wq  # (N, d)
        att = torch.softmax((k @ q[:, :, None]).squeeze(-1) / math.sqrt(self.d), -1)  # (N, t)
        return (att[:, None, :] @ v).squeeze(1) @ self.Wo  # (N, V)

    def full(self, tokens: Tensor, state: object) -> tuple[Tensor, None]:
        x = self._embed(tokens, 0)  # (N, t, d)
        return self._logits(x[:, -1], x @ self.Wk, x @ self.Wv), None

    def cached(self, tokens: Tensor, state: tuple[Tensor, Tensor] | None
               ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        seen = 0 if state is None else state[0].shape[1]
        x = self._embed(tokens[:, seen:], seen)  # (N, t - seen, d) only the new positions
        k, v = x @ self.Wk, x @ self.Wv
        if state is not None:
            k, v = torch.cat([state[0], k], 1), torch.cat([state[1], v], 1)  # (N, t, d)
        return self._logits(x[:, -1], k, v), (k, v)


@pytest.fixture
def table_lm():
    return TableLM


@pytest.fixture
def attention_lm():
    return TinyAttentionLM
