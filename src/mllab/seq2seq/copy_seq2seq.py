r"""A small attention RNN sequence-to-sequence model, with or without a pointer (copy mechanism).

Transformer lecture, tips for generation. The encoder is a bidirectional ``nn.GRU`` over the
source embeddings, giving :math:`h_i`; the decoder is a ``nn.GRU`` over the embeddings of the
previous target words, giving :math:`s_t` (Luong et al., arXiv:1508.04025: the state comes
first, then the attention). At each step

.. math::
    e^t_i = \frac{s_t \cdot W_a h_i}{\sqrt{d}}, \qquad a^t = \mathrm{softmax}(e^t), \qquad
    h^*_t = \sum_i a^t_i h_i,

.. math:: P_{vocab} = \mathrm{softmax}\big(V' \tanh(V [s_t; h^*_t] + b) + b'\big)

(See et al., arXiv:1704.04368, Eqs. 1–4, with the dot-product score of
:func:`mllab.attention.dot_product_scores`). With ``pointer=True`` the output is the
pointer-generator's final distribution (:func:`~mllab.seq2seq.pointer_generator.final_distribution`,
Eqs. 8–9) over the extended vocabulary; with ``pointer=False`` it is :math:`P_{vocab}` (padded
with zeros to the extended vocabulary) and out-of-vocabulary target words are learned as
``unk``. The encoder and the decoder read out-of-vocabulary words as ``unk`` in both cases.

Differences from the paper: a GRU instead of an LSTM, a dot-product score instead of the
additive one, no coverage; the decoder's initial state is :math:`\tanh(W_0 \bar h)` of the mean
encoder output :math:`\bar h` over the real source positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.attention import dot_product_scores, padding_mask
from mllab.config import require, require_int
from mllab.seq2seq.pointer_generator import (
    GenerationProbability,
    final_distribution,
    pointer_nll,
    to_vocab,
)
from mllab.train.loop import LoopState, Step
from mllab.train.state import transient

__all__ = ["CopySeq2Seq", "CopySeq2SeqConfig", "Decoded", "PaddedPairs", "Seq2SeqOutput",
           "Seq2SeqState", "teacher_forcing_step"]


@dataclass
class CopySeq2SeqConfig:
    r"""Sizes and special ids of :class:`CopySeq2Seq`; validated on construction."""

    vocab_size: int
    """Size V of the fixed vocabulary (>= 4: pad, bos, eos, unk and words)."""
    d_embed: int = 32
    """Size of a word embedding (>= 1)."""
    d_hidden: int = 64
    """Size d of the decoder state; each direction of the encoder has d/2 (even, >= 2)."""
    pointer: bool = True
    """Mix copying into the output (Eq. 9), or generate from the fixed vocabulary only."""
    pad: int = 0
    """Padding id (also the padding of the targets)."""
    bos: int = 1
    """Begin-of-sequence id, the decoder's first input."""
    eos: int = 2
    """End-of-sequence id."""
    unk: int = 3
    """Id that out-of-vocabulary words are read (and, without pointer, written) as."""

    def __post_init__(self) -> None:
        require_int("vocab_size", self.vocab_size, 4)
        require_int("d_embed", self.d_embed, 1)
        require_int("d_hidden", self.d_hidden, 2)
        require(self.d_hidden % 2 == 0, "d_hidden", "an even integer", self.d_hidden)
        require(isinstance(self.pointer, bool), "pointer", "true or false", self.pointer)
        ids = (self.pad, self.bos, self.eos, self.unk)
        require(len(set(ids)) == 4 and all(0 <= i < self.vocab_size for i in ids),
                "pad, bos, eos, unk", f"four different ids in [0, {self.vocab_size})", ids)


@dataclass
class Seq2SeqOutput:
    r"""What a teacher-forced pass returns."""

    P: Tensor
    """Output distribution over the extended vocabulary, ``(B, T, V_ext)``."""
    a: Tensor
    """Attention, ``(B, T, S)``: row t is the attention of target step t over the source."""
    p_gen: Tensor | None
    """:math:`p_{gen}`, ``(B, T)`` (``None`` without pointer)."""


@dataclass
class Decoded:
    r"""What greedy decoding returns; positions after ``eos`` hold ``pad``."""

    tokens: Tensor
    """Generated ids in the extended vocabulary, ``(B, L)``, ``eos`` included."""
    a: Tensor
    """Attention of each generated step, ``(B, L, S)``."""
    p_gen: Tensor | None
    """:math:`p_{gen}` of each generated step, ``(B, L)`` (``None`` without pointer)."""


class CopySeq2Seq(nn.Module):
    r"""Attention GRU encoder-decoder with an optional pointer (see the module docstring)."""

    def __init__(self, config: CopySeq2SeqConfig) -> None:
        super().__init__()
        c = self.config = config
        d = c.d_hidden
        self.embed = nn.Embedding(c.vocab_size, c.d_embed, padding_idx=c.pad)
        self.encoder = nn.GRU(c.d_embed, d // 2, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(d, d)  # W_0
        self.decoder = nn.GRU(c.d_embed, d, batch_first=True)
        self.W_a = nn.Linear(d, d, bias=False)
        self.V = nn.Linear(2 * d, d)  # V, b
        self.V_out = nn.Linear(d, c.vocab_size)  # V', b'
        self.p_gen = GenerationProbability(d, d, c.d_embed) if c.pointer else None

    def encode(self, src_ext: Tensor, src_len: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        r"""Encoder outputs :math:`h` ``(B, S, d)``, keys :math:`W_a h` ``(B, S, d)`` and the
        decoder's initial state ``(1, B, d)``."""
        c = self.config
        x = self.embed(to_vocab(src_ext, c.vocab_size, c.unk))  # (B, S, E)
        packed = nn.utils.rnn.pack_padded_sequence(x, src_len.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        h, _ = self.encoder(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True,
                                                total_length=src_ext.shape[1])  # (B, S, d)
        real = padding_mask(src_len, src_ext.shape[1])[:, 0, 0].to(h.dtype)  # (B, S)
        h_mean = (h * real.unsqueeze(-1)).sum(1) / src_len.unsqueeze(-1).to(h.dtype)  # (B, d)
        s0 = torch.tanh(self.init_state(h_mean)).unsqueeze(0)  # (1, B, d)
        return h, self.W_a(h), s0

    def _read_out(self, s: Tensor, x: Tensor, h: Tensor, keys: Tensor, src_ext: Tensor,
                  src_len: Tensor, n_extended: int) -> Seq2SeqOutput:
        r"""Attention and output distribution for decoder states ``s`` ``(B, T, d)`` with
        inputs ``x`` ``(B, T, E)``."""
        e = dot_product_scores(s, keys)  # (B, T, S)
        real = padding_mask(src_len, src_ext.shape[1])[:, 0, 0]  # (B, S)
        a = torch.softmax(e.masked_fill(~real.unsqueeze(1), float("-inf")), dim=-1)
        h_star = a @ h  # (B, T, d): context vectors
        p_vocab = torch.softmax(self.V_out(torch.tanh(self.V(torch.cat([s, h_star], -1)))), -1)
        if self.p_gen is None:
            V = self.config.vocab_size
            return Seq2SeqOutput(F.pad(p_vocab, (0, n_extended - V)), a, None)
        p_gen = self.p_gen(h_star, s, x)  # (B, T), Eq. (8)
        return Seq2SeqOutput(final_distribution(p_vocab, a, src_ext, p_gen, n_extended), a,
                             p_gen)

    def forward(self, src_ext: Tensor, src_len: Tensor, tgt_in: Tensor,
                n_extended: int) -> Seq2SeqOutput:
        r"""Teacher-forced pass.

        Args:
            src_ext: Source ids in the extended vocabulary, ``(B, S)``, padded with ``pad``.
            src_len: Real source lengths, ``(B,)``, each >= 1.
            tgt_in: Decoder inputs (``bos`` then the target shifted right), ``(B, T)``, in the
                extended vocabulary.
            n_extended: Size of the extended vocabulary of the batch (>= V).
        """
        c = self.config
        h, keys, s0 = self.encode(src_ext, src_len)
        x = self.embed(to_vocab(tgt_in, c.vocab_size, c.unk))  # (B, T, E)
        s, _ = self.decoder(x, s0)  # (B, T, d)
        return self._read_out(s, x, h, keys, src_ext, src_len, n_extended)

    def targets(self, tgt_out: Tensor) -> Tensor:
        r"""The targets the model learns: the extended ids with a pointer, else ``unk`` for
        every out-of-vocabulary word."""
        c = self.config
        return tgt_out if c.pointer else to_vocab(tgt_out, c.vocab_size, c.unk)

    def loss(self, out: Seq2SeqOutput, tgt_out: Tensor) -> Tensor:
        r"""Mean :math:`-\log P(w^*_t)` over the real target positions (see :meth:`targets`)."""
        return pointer_nll(out.P, self.targets(tgt_out), ignore_index=self.config.pad)

    @torch.no_grad()
    def greedy(self, src_ext: Tensor, src_len: Tensor, n_extended: int,
               max_len: int) -> Decoded:
        r"""Free-running greedy decoding: each step feeds back the most probable word (an
        out-of-vocabulary one read as ``unk``) until every sequence has produced ``eos`` or
        ``max_len`` steps."""
        c = self.config
        h, keys, state = self.encode(src_ext, src_len)
        B = src_ext.shape[0]
        prev = torch.full((B, 1), c.bos, dtype=torch.long, device=src_ext.device)
        done = torch.zeros(B, dtype=torch.bool, device=src_ext.device)
        tokens, attention, p_gens = [], [], []
        for _ in range(max_len):
            x = self.embed(to_vocab(prev, c.vocab_size, c.unk))  # (B, 1, E)
            s, state = self.decoder(x, state)  # (B, 1, d)
            out = self._read_out(s, x, h, keys, src_ext, src_len, n_extended)
            word = out.P[:, 0].argmax(-1).masked_fill(done, c.pad)  # (B,)
            tokens.append(word)
            attention.append(out.a[:, 0])
            if out.p_gen is not None:
                p_gens.append(out.p_gen[:, 0])
            done = done | (word == c.eos)
            prev = word.unsqueeze(1)
            if bool(done.all()):
                break
        return Decoded(torch.stack(tokens, 1), torch.stack(attention, 1),
                       torch.stack(p_gens, 1) if p_gens else None)


@dataclass
class PaddedPairs:
    r"""Source/target pairs as padded id tensors (ids in the extended vocabulary)."""

    src: Tensor
    """Sources, ``(n, S)``, padded with ``pad``."""
    src_len: Tensor
    """Real source lengths, ``(n,)``."""
    tgt_in: Tensor
    """Decoder inputs, ``bos`` then the target, ``(n, T)``."""
    tgt_out: Tensor
    """Targets, the target then ``eos``, ``(n, T)``, padded with ``pad``."""
    tgt_len: Tensor
    """Real target lengths (``eos`` included), ``(n,)``."""

    @classmethod
    def of(cls, sources: list[list[int]], targets: list[list[int]], *, pad: int, bos: int,
           eos: int) -> PaddedPairs:
        r"""Pad lists of ids; each target gets ``bos`` in front (input) and ``eos`` behind."""
        S = max(len(x) for x in sources)
        T = max(len(y) for y in targets) + 1
        src = torch.full((len(sources), S), pad, dtype=torch.long)
        tgt_in = torch.full((len(targets), T), pad, dtype=torch.long)
        tgt_out = torch.full((len(targets), T), pad, dtype=torch.long)
        for i, (x, y) in enumerate(zip(sources, targets, strict=True)):
            src[i, :len(x)] = torch.tensor(x)
            tgt_in[i, :len(y) + 1] = torch.tensor([bos, *y])
            tgt_out[i, :len(y) + 1] = torch.tensor([*y, eos])
        return cls(src, torch.tensor([len(x) for x in sources]), tgt_in, tgt_out,
                   torch.tensor([len(y) + 1 for y in targets]))

    def __len__(self) -> int:
        return self.src.shape[0]

    def take(self, index: Tensor) -> PaddedPairs:
        r"""The pairs at ``index``."""
        return PaddedPairs(*(getattr(self, f)[index] for f in
                             ("src", "src_len", "tgt_in", "tgt_out", "tgt_len")))


@dataclass(kw_only=True)
class Seq2SeqState(LoopState):
    r"""What teacher-forced training of a :class:`CopySeq2Seq` changes (the data is left out
    of checkpoints)."""

    model: CopySeq2Seq
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws each step's mini-batch."""
    data: PaddedPairs | None = transient()


Penalty = Callable[[Seq2SeqOutput, PaddedPairs], Tensor]


def teacher_forcing_step(batch_size: int, n_extended: int, *, penalty: Penalty | None = None,
                         weight: float = 1.0, clip: float = 1.0, log_every: int = 25) -> Step:
    r"""One update on a mini-batch drawn with replacement: :math:`\mathcal{L} = -\frac1N\sum_t
    \log P(w^*_t) + \lambda\, \mathrm{penalty}`, gradient norm clipped at ``clip``; logs
    ``train_loss`` (and ``penalty``) every ``log_every`` steps."""

    def step(s: Seq2SeqState) -> dict | None:
        b = s.data.take(torch.randint(len(s.data), (batch_size,), generator=s.generator))
        S, T = int(b.src_len.max()), int(b.tgt_len.max())
        b = PaddedPairs(b.src[:, :S], b.src_len, b.tgt_in[:, :T], b.tgt_out[:, :T], b.tgt_len)
        out = s.model(b.src, b.src_len, b.tgt_in, n_extended)
        nll = s.model.loss(out, b.tgt_out)
        extra = penalty(out, b) if penalty is not None else None
        loss = nll if extra is None else nll + weight * extra
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(s.model.parameters(), clip)
        s.optimizer.step()
        if s.step % log_every:
            return None
        return {"train_loss": nll.item(), **({} if extra is None else {"penalty": extra.item()})}

    return step
