r"""``bert-fill-blanks``: BERT pre-trained by masked-LM and next-sentence prediction on the
World English Bible learns to fill blanks in held-out verses better than counts of words and
of word pairs, and tells a verse's true successor from a random verse better than chance.

Each repeat has its own chapter split (10% of chapters held out), its own sentencepiece
vocabulary (trained on training verses), its own NSP pairs, initialisation and batches. The
model is :class:`mllab.pretraining.BertPretraining` trained with
:math:`\mathcal{L} = \mathcal{L}_{MLM} + \mathcal{L}_{NSP}` on the general loop. Held-out
evaluation: NSP pairs of consecutive held-out verses, 15% of their text tokens chosen and
*every* chosen token replaced by ``[MASK]`` (a blank; training keeps BERT's 80/10/10), the same
blanks for all three fillers. Each filler guesses among the non-special tokens:

- **unigram**: the most frequent training token at every blank;
- **bigram**: :math:`\arg\max_x \log P(x \mid \text{left}) + \log P(\text{right} \mid x)`
  from training counts (:class:`mllab.pretraining.ngram_baseline.NgramBaseline`), the
  neighbours BERT also sees;
- **BERT**: the argmax of the masked-LM head at the blank.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.self_supervised import LECTURE
from mllab.pretraining import BertConfig, sentence_pairs
from mllab.pretraining.bert_pretraining import (
    BertPretraining,
    BertPretrainingState,
    pretraining_step,
)
from mllab.pretraining.bible_corpus import bible_corpus
from mllab.pretraining.ngram_baseline import NgramBaseline
from mllab.pretraining.pretraining_batches import (
    CLS_ID,
    SEP_ID,
    bert_vocab,
    mask_id,
    pretraining_batch,
)
from mllab.text.special_tokens import PAD_ID
from mllab.train import LoopConfig


@dataclass
class FillBlanksSettings(Settings):
    vocab_size: int = 1000
    """Sentencepiece pieces :math:`V_{text}` (BERT's vocabulary is one more, ``[MASK]``)."""
    tokenizer_verses: int = 6000
    """Training verses the tokenizer sees, evenly spaced (>= 1)."""
    max_train: int = 0
    """Keep only the first that many training verses (0: all, about 28,000)."""
    max_test: int = 0
    """Keep only the first that many held-out verses (0: all, about 3,100)."""
    d_model: int = 64
    """BERT's width d."""
    num_heads: int = 4
    """Attention heads."""
    d_ff: int = 256
    """Feed-forward hidden size (4d)."""
    num_layers: int = 2
    """Encoder blocks."""
    max_len: int = 64
    """Longest input ``[CLS] A [SEP] B [SEP]``; longer pairs are truncated (>= 5)."""
    steps: int = 300
    """Pre-training updates (>= 1); kept to a few minutes of a shared 2-core machine."""
    batch_size: int = 32
    """Pairs per update (>= 1)."""
    lr: float = 2e-3
    """Adam's learning rate: a small model trained for few steps (> 0)."""
    repeats: int = 5
    """Independent repeats: split, vocabulary, pairs, initialisation, batches, blanks (>= 1)."""
    margin: float = 0.01
    """Noise allowance on accuracy differences (one point): a held-out set of some 3,000
    verses has about 20,000 blanks, whose accuracy has a binomial standard error near 0.3
    points."""
    nsp_margin: float = 0.02
    """Noise allowance around chance 0.5 for NSP accuracy: some 3,000 held-out pairs give a
    binomial standard error near 0.9 points."""
    examples: int = 8
    """Filled blanks shown in the report (from the first repeat)."""

    def validate(self) -> None:
        for name in ("vocab_size", "tokenizer_verses", "d_model", "num_heads", "d_ff",
                     "num_layers", "steps", "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("max_train", "max_test"):
            require(getattr(self, name) == 0 or getattr(self, name) >= 3, name,
                    "0 (all) or an integer >= 3", getattr(self, name))
        require(self.vocab_size >= 8, "vocab_size", ">= 8", self.vocab_size)
        require(self.max_len >= 5, "max_len", ">= 5", self.max_len)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.margin >= 0 and self.nsp_margin >= 0, "margin",
                "margins >= 0", (self.margin, self.nsp_margin))
        require(self.examples >= 0, "examples", ">= 0", self.examples)

    @classmethod
    def quick(cls) -> FillBlanksSettings:
        return cls(vocab_size=300, tokenizer_verses=1200, max_train=1500, max_test=300,
                   d_model=32, num_heads=2, d_ff=64, num_layers=1, max_len=48, steps=40,
                   batch_size=16, repeats=2, examples=4)


def judge_fill_blanks(m: dict, s: FillBlanksSettings) -> Evidence:
    r = m["runs"]
    reason = f"differences below {s.margin:g} count as none (binomial error of ~0.3 points)"
    return Evidence(checks=[
        Check("BERT fills blanks better than word counts", "held-out blank accuracy, BERT "
              "minus unigram", paired(r["bert"], r["unigram"]), margin=s.margin, reason=reason),
        Check("BERT fills blanks better than the neighbours' pair counts", "held-out blank "
              "accuracy, BERT minus bigram (both neighbours)", paired(r["bert"], r["bigram"]),
              margin=s.margin, reason=reason),
        Check("BERT tells a verse's successor from a random verse", "held-out NSP accuracy",
              r["nsp"], margin=s.nsp_margin, threshold=0.5,
              reason=f"chance is 0.5; {s.nsp_margin:g} allows the binomial error of ~0.9 "
                     "points")],
        notes=[f"blanks per repeat: {m['blanks']}; NSP pairs per repeat: {m['nsp_pairs']}",
               "final training losses (MLM, NSP) per repeat: " + ", ".join(
                   f"({a:.3f}, {b:.3f})" for a, b in m["final_losses"])])


def _fill(model: BertPretraining, pairs: list, s: FillBlanksSettings, V_text: int,
          g: torch.Generator) -> dict:
    r"""Blanks (every chosen token ``[MASK]``) over held-out ``pairs``: BERT's guesses, the
    truth, the inputs and the NSP predictions, in chunks of 256 pairs."""
    out = {"tokens": [], "chosen": [], "labels": [], "guess": [], "nsp": [], "nsp_y": []}
    special = [PAD_ID, CLS_ID, SEP_ID, mask_id(V_text)]
    model.eval()
    with torch.no_grad():
        for i in range(0, len(pairs), 256):
            b = pretraining_batch(pairs[i:i + 256], max_len=s.max_len, text_vocab=V_text,
                                  generator=g, p_mask=1.0, p_random=0.0)
            mlm_logits, nsp_logits = model(b.tokens, b.segments, b.lengths, b.chosen)
            mlm_logits[:, special] = -torch.inf  # (M, V): guesses among text tokens
            out["guess"].append(mlm_logits.argmax(-1))
            out["labels"].append(b.mlm_labels[b.chosen])
            out["nsp"].append(nsp_logits.argmax(-1))
            out["nsp_y"].append(b.nsp_labels)
            out["tokens"].append(b.tokens)
            out["chosen"].append(b.chosen)
    return out


def _show(tok, ids: list[int]) -> str:
    r"""``ids`` as text, other blanks (``[MASK]``, id ``tok.vocab_size``) written [MASK]."""
    parts, run = [], []
    for i in ids:
        if i >= tok.vocab_size:
            parts.extend([tok.decode(run), "[MASK]"])
            run = []
        else:
            run.append(i)
    return " ".join(p for p in [*parts, tok.decode(run)] if p)


def _examples(fill: dict, bigram: torch.Tensor, tok, k: int) -> list[list]:
    rows, j = [], 0
    labels, guess = torch.cat(fill["labels"]), torch.cat(fill["guess"])
    for tokens, chosen in zip(fill["tokens"], fill["chosen"], strict=True):
        for row in range(tokens.shape[0]):
            positions = chosen[row].nonzero().flatten().tolist()
            n = len(positions)
            if n and len(rows) < k:
                ids = tokens[row].tolist()
                t = positions[0]
                end = ids.index(SEP_ID)
                context = _show(tok, ids[max(1, t - 8):t]) + " ___ " + _show(
                    tok, ids[t + 1:min(end, t + 8)])
                rows.append([context.strip(), tok.decode([int(labels[j])]),
                             tok.decode([int(guess[j])]), tok.decode([int(bigram[j])])])
            j += n
    return rows


@experiment(name="bert-fill-blanks", lecture=LECTURE, judge=judge_fill_blanks,
            claim="Pre-trained by filling blanks (masked LM) and next-sentence prediction on "
                  "Bible verses, BERT fills blanks in held-out verses better than unigram and "
                  "bigram counts, and tells a verse's successor from a random verse better "
                  "than chance.")
def bert_fill_blanks(s: FillBlanksSettings, ctx: RunContext) -> Result:
    runs: dict[str, list[float]] = {"bert": [], "unigram": [], "bigram": [], "nsp": []}
    blanks, nsp_pairs, final_losses, curves, examples = [], [], [], [], []
    ctx.plan(trials=s.repeats)
    for r in range(s.repeats):
        corpus = bible_corpus(seed=ctx.seed_for(f"split/r{r}"), vocab_size=s.vocab_size,
                              tokenizer_verses=s.tokenizer_verses,
                              max_train=s.max_train or None, max_test=s.max_test or None)
        V_text = corpus.tokenizer.vocab_size
        pairs = sentence_pairs(corpus.train_ids, ctx.generator(f"pairs/r{r}"))
        with ctx.trial(f"bert-r{r}") as t:
            model = BertPretraining(BertConfig(
                vocab=bert_vocab(V_text), d_model=s.d_model, num_heads=s.num_heads,
                d_ff=s.d_ff, num_layers=s.num_layers, max_len=s.max_len))
            state = BertPretrainingState(
                model=model, optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                generator=ctx.generator(f"batches/r{r}"), pairs=pairs)
            run = t.run(pretraining_step(s.batch_size, s.max_len, V_text), state,
                        LoopConfig(steps=s.steps), fingerprint=s.to_dict())
        curves.append([(h["step"], h["mlm_loss"], h["nsp_loss"]) for h in run.history])
        last = run.history[-min(20, len(run.history)):]
        final_losses.append((sum(h["mlm_loss"] for h in last) / len(last),
                             sum(h["nsp_loss"] for h in last) / len(last)))
        test_pairs = sentence_pairs(corpus.test_ids, ctx.generator(f"test-pairs/r{r}"))
        fill = _fill(model, test_pairs, s, V_text, ctx.generator(f"blanks/r{r}"))
        labels, guess = torch.cat(fill["labels"]), torch.cat(fill["guess"])
        counts = NgramBaseline([[CLS_ID, *ids, SEP_ID] for ids in corpus.train_ids],
                               bert_vocab(V_text), alpha=0.1,
                               excluded=(PAD_ID, CLS_ID, SEP_ID, mask_id(V_text)))
        bigram = torch.cat([counts.bigram_guesses(tk, ch, mask_id(V_text))
                            for tk, ch in zip(fill["tokens"], fill["chosen"], strict=True)])
        runs["bert"].append((guess == labels).double().mean().item())
        runs["unigram"].append((labels == counts.unigram_guess()).double().mean().item())
        runs["bigram"].append((bigram == labels).double().mean().item())
        nsp, nsp_y = torch.cat(fill["nsp"]), torch.cat(fill["nsp_y"])
        runs["nsp"].append((nsp == nsp_y).double().mean().item())
        blanks.append(int(labels.numel()))
        nsp_pairs.append(int(nsp_y.numel()))
        if r == 0:
            examples = _examples(fill, bigram, corpus.tokenizer, s.examples)
    _plot(ctx, curves, runs)
    rows = [[r, runs["unigram"][r], runs["bigram"][r], runs["bert"][r], runs["nsp"][r],
             blanks[r]] for r in range(s.repeats)]
    return Result(metrics={"runs": runs, "blanks": blanks, "nsp_pairs": nsp_pairs,
                           "final_losses": final_losses}, tables=[
        table("Held-out verses: blank accuracy of each filler and NSP accuracy",
              ["repeat", "unigram", "bigram", "BERT", "NSP (chance 0.5)", "blanks"], rows),
        table("Filled blanks (first repeat, first blank of a pair)",
              ["context", "truth", "BERT", "bigram"], examples)])


def _plot(ctx: RunContext, curves: list, runs: dict) -> None:
    from mllab.report import new_figure

    fig, (ax, bx) = new_figure(ncols=2, size=(10, 3.8))
    for r, c in enumerate(curves):
        steps = [p[0] for p in c]
        ax.plot(steps, [p[1] for p in c], color="tab:blue", alpha=0.6,
                label="MLM" if r == 0 else None)
        ax.plot(steps, [p[2] for p in c], color="tab:orange", alpha=0.6,
                label="NSP" if r == 0 else None)
    ax.set(xlabel="step", ylabel="training loss (nats)", title="Pre-training losses")
    ax.legend()
    names = ["unigram", "bigram", "bert"]
    for i, n in enumerate(names):
        bx.scatter([i] * len(runs[n]), runs[n], color="tab:blue", s=14)
    bx.set_xticks(range(3), ["unigram", "bigram", "BERT"])
    bx.set(ylabel="held-out blank accuracy", title="Filling blanks")
    ctx.save_figure(fig, "fill_blanks", "Left: MLM and NSP training losses of every repeat. "
                    "Right: accuracy on held-out blanks per repeat (dots).")
