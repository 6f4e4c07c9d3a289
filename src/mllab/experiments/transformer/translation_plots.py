r"""Figures of ``seq2seq-translation``: the decoders' attention over the source, and BLEU.

The attention map of a verse is read with teacher forcing on its reference translation (BOS
then the reference characters): row :math:`t` is the decoder's weight on each source piece
while predicting target character :math:`t`. For the Transformer it is the cross-attention of
the **last** decoder block, averaged over heads; for the RNN, Luong's :math:`\alpha_{t,j}`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from mllab.seq2seq import RNNSeq2Seq
from mllab.text import BOS_ID, PAD_ID
from mllab.transformer import Transformer

__all__ = ["cross_attention_map", "plot_attention", "plot_bleu"]


@torch.no_grad()
def cross_attention_map(model: nn.Module, d: dict[str, Tensor], index: int = 0) -> Tensor:
    r"""Attention ``(T, S)`` of the decoder over the source of verse ``index`` of ``d``
    (``src``, ``src_lengths``, ``tgt`` as ``encode_pairs`` makes them), padding cut off."""
    S = int(d["src_lengths"][index])
    y = d["tgt"][index:index + 1]
    y = y[:, :int((y != PAD_ID).sum())]  # (1, T)
    src, lengths = d["src"][index:index + 1, :S], d["src_lengths"][index:index + 1]
    tgt_in = torch.cat([torch.full_like(y[:, :1], BOS_ID), y[:, :-1]], dim=1)  # (1, T)
    if isinstance(model, RNNSeq2Seq):
        _, alpha = model(src, tgt_in, lengths, return_attention=True)  # (1, T, S)
        return alpha[0]
    if not isinstance(model, Transformer):
        raise TypeError(f"model must be a Transformer or an RNNSeq2Seq, got {type(model)}")
    seen: dict = {}
    cross = model.decoder[-1].cross_attn

    def keep_inputs(module, args, kwargs):
        seen["args"], seen["kwargs"] = args, kwargs

    handle = cross.register_forward_pre_hook(keep_inputs, with_kwargs=True)
    try:
        model(src, tgt_in, lengths)
    finally:
        handle.remove()
    _, weights = cross(*seen["args"], **seen["kwargs"], need_weights=True)  # (1, nh, T, S)
    return weights[0].mean(0)  # (T, S): mean over heads


def plot_attention(ctx, maps: dict[str, Tensor], src_pieces: list[str],
                   tgt_chars: list[str]) -> None:
    r"""One heat map per model: target characters (rows) against source pieces (columns)."""
    from mllab.report import new_figure

    names = list(maps)
    fig, axes = new_figure(ncols=len(names), size=(5.5 * len(names), 5))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names, strict=True):
        a = maps[name].numpy()
        ax.imshow(a, aspect="auto", cmap="viridis", vmin=0, vmax=max(float(a.max()), 1e-9))
        ax.set_xticks(range(a.shape[1]), src_pieces[:a.shape[1]], rotation=90, fontsize=7)
        rows = tgt_chars + ["</s>"]
        ax.set_yticks(range(a.shape[0]), [f"{i + 1}" for i in range(len(rows[:a.shape[0]]))],
                      fontsize=6)
        ax.set(xlabel="English source pieces", ylabel="Japanese target character (position)",
               title=f"{name}: attention over the source")
    ctx.save_figure(fig, "attention_maps", "Decoder attention over the English source pieces "
                    "for the first test verse, teacher-forced on its Japanese reference (rows: "
                    "target positions, EOS last): the Transformer's last decoder block's "
                    "cross-attention averaged over heads, and the RNN's Luong attention")


def plot_bleu(ctx, bleu: dict, models: tuple[str, ...], decoders: tuple[str, ...]) -> None:
    r"""Bars of the mean test BLEU of each model and decoder, a dot per repeat."""
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6.5, 4))
    width = 0.8 / len(decoders)
    for j, decoder in enumerate(decoders):
        for i, name in enumerate(models):
            values = bleu[name][decoder]
            x = i + (j - (len(decoders) - 1) / 2) * width
            ax.bar(x, sum(values) / len(values), width, color=f"C{j}",
                   label=decoder if i == 0 else None)
            ax.scatter([x] * len(values), values, color="black", s=10, zorder=3)
    ax.set_xticks(range(len(models)), list(models))
    ax.set(ylabel="test BLEU (sacrebleu, tokenize='char')",
           title="English→Japanese Bible verses: BLEU by model and decoder")
    ax.legend()
    ctx.save_figure(fig, "bleu", "Test BLEU (sacrebleu, character tokenisation) of each model "
                    "with greedy decoding and beam search: bars are means over repeats, dots "
                    "single repeats")
