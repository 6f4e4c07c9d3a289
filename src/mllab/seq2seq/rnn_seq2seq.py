r"""The RNN sequence-to-sequence baseline: an encoder RNN, a decoder RNN, optional attention.

The Transformer lecture's starting point (Sutskever et al., arXiv:1409.3215; with attention,
Luong et al., arXiv:1508.04025): the **encoder** RNN reads the source tokens
:math:`x_1 \dots x_S` into hidden vectors :math:`h_1 \dots h_S` (the *memory*); the
**decoder** RNN starts from the encoder's final state and reads BEGIN and then its previous
outputs, one token per step:

.. math::
    h_j = \mathrm{RNN}_{enc}(E_{src}[x_j], h_{j-1}), \qquad
    s_0 = h_S, \qquad s_t = \mathrm{RNN}_{dec}(E_{tgt}[y_{t-1}], s_{t-1})

Without attention the next-token logits are :math:`z_t = W_{out}\, s_t`. With attention
(Luong's *global attention*, §3.1 of arXiv:1508.04025) the decoder state :math:`s_t` is the
query over the memory at every step,

.. math::
    \alpha_{t,j} = \operatorname{softmax}_j\, \mathrm{score}(s_t, h_j), \qquad
    c_t = \sum_j \alpha_{t,j} h_j, \qquad
    \tilde s_t = \tanh\big(W_c [c_t; s_t]\big), \qquad z_t = W_{out}\, \tilde s_t

with ``"dot"``: :math:`\mathrm{score}(s, h) = s \cdot h` (Luong's *dot*, unscaled) or
``"additive"``: :math:`w^\top \tanh(W [s; h])` (Luong's *concat*, Bahdanau's score), both from
:mod:`mllab.attention.scores`. Padding of the source is hidden twice: the encoder runs on a
``pack_padded_sequence`` (its final state is that of the last real token) and padded memory
positions get score :math:`-\infty` (weight exactly 0).

In training the decoder reads the ground truth shifted right (*teacher forcing*) and, since the
query is :math:`s_t` rather than :math:`s_{t-1}`, the whole target runs through one call of the
RNN. :meth:`RNNSeq2Seq.step_function` gives the same computation one token at a time for
:mod:`mllab.decoding` (greedy decoding, beam search, sampling).

Differences from the papers: Luong's attention without *input feeding* (:math:`\tilde s_{t-1}`
is not fed into the next step), so teacher forcing is one RNN call; Bahdanau's variant
(query :math:`s_{t-1}`, context fed into the RNN) is not implemented, though its additive score
is; the encoder is unidirectional and the decoder's layers start from the encoder's layers'
final states, which needs equal sizes and depth (one ``hidden`` and ``num_layers`` for both).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mllab.attention.scores import AdditiveScore, dot_product_scores
from mllab.config import is_real, require, require_int
from mllab.decoding.step import State, StepFn

__all__ = ["ATTENTIONS", "CELLS", "RNNSeq2Seq", "RNNSeq2SeqConfig"]

CELLS = ("gru", "lstm")
r"""The recurrent cells: ``nn.GRU`` or ``nn.LSTM``."""

ATTENTIONS = ("none", "dot", "additive")
r"""Attention of the decoder over the encoder's outputs."""


@dataclass
class RNNSeq2SeqConfig:
    r"""Sizes of an :class:`RNNSeq2Seq`; the defaults are a small model for CPU experiments."""

    src_vocab: int
    r"""Number of source tokens :math:`V_{src}`; an integer >= 1."""

    tgt_vocab: int
    r"""Number of target tokens :math:`V`; an integer >= 1."""

    embedding: int = 64
    r"""Size of the token embeddings :math:`E_{src}[x]`, :math:`E_{tgt}[y]`; an integer >= 1."""

    hidden: int = 64
    r"""Size of the hidden states :math:`h_j`, :math:`s_t` of both RNNs; an integer >= 1."""

    cell: str = "gru"
    r"""Recurrent cell: ``"gru"`` or ``"lstm"``."""

    num_layers: int = 1
    r"""Stacked RNN layers in the encoder and in the decoder; an integer >= 1."""

    attention: str = "none"
    r"""``"none"`` (the decoder sees only :math:`s_0 = h_S`), ``"dot"`` or ``"additive"``."""

    dropout: float = 0.0
    r"""Dropout on embeddings, between RNN layers and before the output; a float in [0, 1)."""

    def __post_init__(self) -> None:
        for name in ("src_vocab", "tgt_vocab", "embedding", "hidden", "num_layers"):
            require_int(name, getattr(self, name), 1)
        require(self.cell in CELLS, "cell", f"one of {', '.join(map(repr, CELLS))}", self.cell)
        require(self.attention in ATTENTIONS, "attention",
                f"one of {', '.join(map(repr, ATTENTIONS))}", self.attention)
        require(is_real(self.dropout) and 0 <= self.dropout < 1, "dropout",
                "a float in [0, 1)", self.dropout)


class RNNSeq2Seq(nn.Module):
    r"""Encoder RNN, decoder RNN started from the encoder's final state, optional attention.

    The interface follows :class:`mllab.transformer.Transformer`: :meth:`encode`,
    :meth:`forward` (teacher forcing) and :meth:`step_function` for :mod:`mllab.decoding`.
    The *state* passed between steps is a dict of batch-first tensors: ``"h"`` (and ``"c"`` for
    an LSTM) ``(B, num_layers, hidden)``, ``"memory"`` ``(B, S, hidden)``, ``"mask"`` ``(B, S)``
    (True = real token, or None), and ``"consumed"``, the number of decoder inputs already read
    (an int, the same for every row), so the default :func:`mllab.decoding.reorder_state`
    reorders it for beam search.
    """

    def __init__(self, config: RNNSeq2SeqConfig) -> None:
        super().__init__()
        c = self.config = config
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[c.cell]
        between = c.dropout if c.num_layers > 1 else 0.0
        self.src_embedding = nn.Embedding(c.src_vocab, c.embedding)
        self.tgt_embedding = nn.Embedding(c.tgt_vocab, c.embedding)
        self.encoder_rnn = rnn(c.embedding, c.hidden, c.num_layers, batch_first=True,
                               dropout=between)
        self.decoder_rnn = rnn(c.embedding, c.hidden, c.num_layers, batch_first=True,
                               dropout=between)
        self.dropout = nn.Dropout(c.dropout)
        self.score = (AdditiveScore(c.hidden, c.hidden, c.hidden)
                      if c.attention == "additive" else None)
        self.combine = nn.Linear(2 * c.hidden, c.hidden) if c.attention != "none" else None
        self.output = nn.Linear(c.hidden, c.tgt_vocab)

    # -- encoder -----------------------------------------------------------------------------

    def encode(self, src: Tensor, src_lengths: Tensor | None = None) -> dict[str, Tensor | None]:
        r"""The decoder's initial state for source tokens ``src`` ``(B, S)``.

        Args:
            src: Source token ids, shape ``(B, S)``, padded at the end.
            src_lengths: Real lengths ``(B,)``, each in ``[1, S]``; the encoder stops at each
                sequence's last real token and attention never sees the padding. ``None``: no
                padding.

        Returns:
            ``{"memory": (B, S, hidden), "mask": (B, S) bool or None, "h": (B, L, hidden)}``
            plus ``"c"`` for an LSTM: :math:`h_1 \dots h_S` and :math:`s_0 = h_S` per layer.
        """
        B, S = src.shape
        x = self.dropout(self.src_embedding(src))  # (B, S, E)
        mask = None
        if src_lengths is None:
            memory, final = self.encoder_rnn(x)  # (B, S, H)
        else:
            lengths = src_lengths.to("cpu", torch.long)
            if lengths.shape != (B,) or bool((lengths < 1).any() | (lengths > S).any()):
                raise ValueError(f"src_lengths must be (B,) = ({B},) in [1, {S}], "
                                 f"got {src_lengths.tolist()}")
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, final = self.encoder_rnn(packed)
            memory, _ = pad_packed_sequence(out, batch_first=True, total_length=S)  # (B, S, H)
            mask = torch.arange(S, device=src.device) < src_lengths.to(src.device)[:, None]
        state = {"memory": memory, "mask": mask}
        return state | self._batch_first(final)

    def _batch_first(self, final: Tensor | tuple[Tensor, Tensor]) -> dict[str, Tensor]:
        if self.config.cell == "lstm":
            h, c = final
            return {"h": h.transpose(0, 1), "c": c.transpose(0, 1)}  # (B, L, H) each
        return {"h": final.transpose(0, 1)}  # (B, L, H)

    def _layer_first(self, state: State) -> Tensor | tuple[Tensor, Tensor]:
        h = state["h"].transpose(0, 1).contiguous()  # (L, B, H)
        if self.config.cell == "lstm":
            return h, state["c"].transpose(0, 1).contiguous()  # (L, B, H) each
        return h

    # -- decoder -----------------------------------------------------------------------------

    def attend(self, s: Tensor, memory: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        r"""Attention weights :math:`\alpha_{t,j}` ``(B, T, S)`` and context :math:`c_t`
        ``(B, T, hidden)`` of decoder states ``s`` ``(B, T, hidden)`` over ``memory``.

        .. math:: \alpha_{t,j} = \operatorname{softmax}_j \mathrm{score}(s_t, h_j), \quad
            c_t = \textstyle\sum_j \alpha_{t,j} h_j
        """
        if self.config.attention == "dot":
            scores = dot_product_scores(s, memory, scale=False)  # (B, T, S): s_t . h_j
        else:
            scores = self.score(s, memory)  # (B, T, S): w^T tanh(W [s_t; h_j])
        if mask is not None:
            scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        alpha = torch.softmax(scores, dim=-1)  # (B, T, S)
        return alpha, alpha @ memory  # (B, T, H)

    def decode(self, tgt_in: Tensor, state: State) -> tuple[Tensor, State, Tensor | None]:
        r"""Logits ``(B, T, V)`` after reading decoder inputs ``tgt_in`` ``(B, T)`` from
        ``state`` (from :meth:`encode` or a previous call), the state after them, and the
        attention weights ``(B, T, S)`` (None without attention)."""
        y = self.dropout(self.tgt_embedding(tgt_in))  # (B, T, E)
        s, final = self.decoder_rnn(y, self._layer_first(state))  # (B, T, H): s_t
        alpha = None
        if self.config.attention != "none":
            alpha, context = self.attend(s, state["memory"], state["mask"])
            s = torch.tanh(self.combine(torch.cat([context, s], dim=-1)))  # tanh(W_c [c_t; s_t])
        logits = self.output(self.dropout(s))  # (B, T, V): z_t = W_out s_t
        new_state = {"memory": state["memory"], "mask": state["mask"]} | self._batch_first(final)
        return logits, new_state, alpha

    def forward(self, src: Tensor, tgt_in: Tensor, src_lengths: Tensor | None = None, *,
                return_attention: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        r"""Teacher-forced logits ``(B, T, V)`` for every prefix of ``tgt_in`` ``(B, T)``.

        Args:
            src: Source token ids ``(B, S)``, padded at the end.
            tgt_in: Decoder inputs (BEGIN then the target shifted right), ``(B, T)``.
            src_lengths: Real source lengths ``(B,)`` (``None``: no padding).
            return_attention: Also return the attention weights :math:`\alpha_{t,j}`
                ``(B, T, S)`` (for attention maps); refused when ``attention`` is ``"none"``.

        Returns:
            Logits ``(B, T, V)``, or ``(logits, alpha)`` with ``return_attention``.
        """
        if return_attention:
            require(self.config.attention != "none", "return_attention",
                    "False for a model without attention", return_attention)
        logits, _, alpha = self.decode(tgt_in, self.encode(src, src_lengths))
        return (logits, alpha) if return_attention else logits

    def step_function(self, src: Tensor,
                      src_lengths: Tensor | None = None) -> tuple[StepFn, State]:
        r"""``(step_fn, init_state)`` for :mod:`mllab.decoding` over the source ``src``.

        ``step_fn(tokens (N, t), state) -> (logits (N, V), state)`` reads the tokens of the
        prefix it has not read yet (``tokens[:, state["consumed"]:]``: the whole prompt at the
        first call, then the newest token) and returns the next token's logits; so a prompt
        longer than BEGIN conditions the decoder, and the result equals :meth:`forward` on the
        prefix.
        """
        init_state = self.encode(src, src_lengths) | {"consumed": 0}

        def step_fn(tokens: Tensor, state: State) -> tuple[Tensor, State]:
            consumed = state["consumed"]
            require(tokens.dim() == 2 and tokens.shape[1] > consumed, "tokens",
                    f"a LongTensor (N, t) with t > {consumed} tokens already read",
                    tuple(tokens.shape))
            logits, new_state, _ = self.decode(tokens[:, consumed:], state)  # (N, n, V)
            return logits[:, -1], new_state | {"consumed": tokens.shape[1]}

        return step_fn, init_state
