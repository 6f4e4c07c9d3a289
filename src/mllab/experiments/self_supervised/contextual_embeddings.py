r"""``contextual-embeddings``: BERT's vector for a word depends on its context, so one word
type gets many vectors, and the vectors of one sense are closer to each other than to those of
another sense (the lecture's "apple" to eat vs Apple the company).

Words and senses, chosen before the first run from words the World English Bible uses often in
two senses; a sense is decided by the neighbouring word (whitespace words, punctuation
stripped, lower case), and an occurrence matching both rules or neither is left out:

==========  ======================================  ========================================
word        sense A                                 sense B
==========  ======================================  ========================================
``right``   direction: next word "hand" or "side"   correct: previous word is, was, are,
                                                    which, what, do, did
``left``    direction: next word "hand" or "side"   remaining: previous word was, were, is,
                                                    be, are, been, nothing, none
``well``    a well of water: previous word a, the,  adverb: previous word is, be, do, did,
            this, that, his                         very, go, went
``lie``     recline: next word "down"               falsehood: previous word a, not, the
==========  ======================================  ========================================

A word's vector is the last encoder layer's output averaged over the word's pieces that hold
a letter, the verse fed alone as ``[CLS] verse [SEP]``; at most ``per_sense`` occurrences per
sense (the first in canonical order) from all verses. For each word, with :math:`\cos` the
cosine similarity,

.. math:: \mathrm{gap}_w = \tfrac12\big(\overline{\cos}_{A \times A} + \overline{\cos}_{B
    \times B}\big) - \overline{\cos}_{A \times B}

(pairs within a sense exclude a vector with itself); a repeat's value is the mean gap over the
four words. An *untrained* encoder of the same shape also mixes the neighbours (which define
the senses) into the word's vector, so its gap is the floor pre-training must beat.

Pre-training as in ``bert-fill-blanks`` (:mod:`mllab.pretraining.bert_pretraining`), each repeat
with its own split, vocabulary, pairs, initialisation and batches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from mllab.config import require
from mllab.data.bible import english_verses
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.self_supervised import LECTURE
from mllab.pretraining import BertConfig, sentence_pairs
from mllab.pretraining.bert_pretraining import (
    BertPretraining,
    BertPretrainingState,
    pretraining_step,
)
from mllab.pretraining.bible_corpus import bible_corpus
from mllab.pretraining.pretraining_batches import CLS_ID, SEP_ID, bert_vocab
from mllab.train import LoopConfig

SENSES: dict[str, tuple[tuple[str, str, frozenset[str]], tuple[str, str, frozenset[str]]]] = {
    "right": (("direction", "next", frozenset({"hand", "side"})),
              ("correct", "prev", frozenset({"is", "was", "are", "which", "what", "do",
                                             "did"}))),
    "left": (("direction", "next", frozenset({"hand", "side"})),
             ("remaining", "prev", frozenset({"was", "were", "is", "be", "are", "been",
                                              "nothing", "none"}))),
    "well": (("water", "prev", frozenset({"a", "the", "this", "that", "his"})),
             ("adverb", "prev", frozenset({"is", "be", "do", "did", "very", "go", "went"}))),
    "lie": (("recline", "next", frozenset({"down"})),
            ("falsehood", "prev", frozenset({"a", "not", "the"}))),
}
r"""For each word: sense A and sense B as ``(name, which neighbour, its words)``."""

_STRIP = re.compile(r"^[^A-Za-z']+|[^A-Za-z']+$")


@dataclass
class ContextualSettings(Settings):
    vocab_size: int = 1000
    """Sentencepiece pieces of the tokenizer."""
    tokenizer_verses: int = 6000
    """Training verses the tokenizer sees (>= 1)."""
    max_train: int = 0
    """Keep only the first that many training verses (0: all)."""
    d_model: int = 64
    """BERT's width d."""
    num_heads: int = 4
    """Attention heads."""
    d_ff: int = 256
    """Feed-forward hidden size."""
    num_layers: int = 2
    """Encoder blocks."""
    max_len: int = 64
    """Longest input (>= 5); an occurrence beyond it is left out."""
    steps: int = 300
    """Pre-training updates (as ``bert-fill-blanks``)."""
    batch_size: int = 32
    """Pairs per update."""
    lr: float = 2e-3
    """Adam's learning rate."""
    per_sense: int = 40
    """Most occurrences per sense and word (>= 2)."""
    repeats: int = 5
    """Independent repeats (>= 1)."""
    margin: float = 0.02
    """Noise allowance on cosine gaps: gaps below 0.02 count as none (a choice made before
    the first run: cosines of d = 64 vectors of 40 occurrences move by about that much when
    the occurrences change)."""

    def validate(self) -> None:
        for name in ("vocab_size", "tokenizer_verses", "d_model", "num_heads", "d_ff",
                     "num_layers", "steps", "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.max_train == 0 or self.max_train >= 3, "max_train",
                "0 (all) or an integer >= 3", self.max_train)
        require(self.max_len >= 5, "max_len", ">= 5", self.max_len)
        require(self.per_sense >= 2, "per_sense", ">= 2", self.per_sense)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> ContextualSettings:
        return cls(vocab_size=300, tokenizer_verses=1200, max_train=1500, d_model=32,
                   num_heads=2, d_ff=64, num_layers=1, max_len=48, steps=40, batch_size=16,
                   per_sense=8, repeats=2)


def sense_of(words: list[str], j: int) -> int | None:
    r"""0 (sense A), 1 (sense B) or ``None`` for the word at index ``j`` of ``words`` (stripped,
    lower case), by :data:`SENSES`."""
    hits = []
    for _, where, context in SENSES[words[j]]:
        i = j + 1 if where == "next" else j - 1
        hits.append(0 <= i < len(words) and words[i] in context)
    return 0 if hits == [True, False] else 1 if hits == [False, True] else None


def occurrences(per_sense: int) -> dict[str, list[list[tuple[str, int]]]]:
    r"""For each word, per sense, up to ``per_sense`` ``(verse text, whitespace index)``."""
    found = {w: [[], []] for w in SENSES}
    for v in english_verses():
        tokens = v.en.split()
        words = [_STRIP.sub("", t).lower() for t in tokens]
        for j, w in enumerate(words):
            if w in SENSES and (k := sense_of(words, j)) is not None \
                    and len(found[w][k]) < per_sense:
                found[w][k].append((v.en, j))
    return found


def word_vectors(model: BertPretraining, tok, cases: list[tuple[str, int]],
                 max_len: int) -> torch.Tensor:
    r"""Last-layer vectors ``(n, d)`` of each case's word: the mean over the word's pieces that
    hold a letter (not a bare ``▁`` nor punctuation), the verse alone as ``[CLS] verse [SEP]``;
    cases whose word reaches beyond ``max_len`` are left out."""
    rows, spans = [], []
    for text, j in cases:
        words = text.split()
        pieces = [tok.encode(t) for t in words]
        start = 1 + sum(len(p) for p in pieces[:j])  # after [CLS]
        keep = [start + k for k, piece in enumerate(tok.pieces(words[j]))
                if any(ch.isalpha() for ch in piece)]
        ids = [CLS_ID, *[i for p in pieces for i in p]][:max_len - 1] + [SEP_ID]
        if keep and keep[-1] < len(ids) - 1:
            rows.append(ids)
            spans.append(keep)
    T = max(len(r) for r in rows)
    tokens = torch.zeros(len(rows), T, dtype=torch.long)  # (n, T), PAD = 0
    for i, r in enumerate(rows):
        tokens[i, :len(r)] = torch.tensor(r)
    model.eval()
    with torch.no_grad():
        h = model.bert(tokens, None, torch.tensor([len(r) for r in rows]))  # (n, T, d)
    return torch.stack([h[i, span].mean(0) for i, span in enumerate(spans)])  # (n, d)


def cosine_gap(a: torch.Tensor, b: torch.Tensor) -> dict:
    r"""Mean cosines within A, within B (no vector with itself), across, and the gap."""
    def mean_cos(x, y, same):
        c = F.normalize(x, dim=-1) @ F.normalize(y, dim=-1).T  # (n, m)
        if same:
            n = len(x)
            return ((c.sum() - c.diagonal().sum()) / (n * (n - 1))).item()
        return c.mean().item()

    within_a, within_b, across = mean_cos(a, a, True), mean_cos(b, b, True), mean_cos(a, b, False)
    return {"within_a": within_a, "within_b": within_b, "across": across,
            "gap": (within_a + within_b) / 2 - across}


def judge_contextual(m: dict, s: ContextualSettings) -> Evidence:
    trained, untrained = m["gap_trained"], m["gap_untrained"]
    reason = f"cosine gaps below {s.margin:g} count as none (chosen before the first run)"
    return Evidence(checks=[
        Check("vectors of one sense are closer to each other than to the other sense's",
              "mean over words of within-sense minus across-sense cosine, pre-trained BERT",
              trained, margin=s.margin, reason=reason),
        Check("pre-training, not the neighbours alone, separates the senses",
              "that gap, pre-trained minus untrained encoder of the same shape",
              paired(trained, untrained), margin=s.margin, reason=reason)],
        demonstrations=[Demonstration(
            "a word type has one input embedding (cosine 1 between occurrences) but a "
            "contextual vector per occurrence", "mean (min) cosine between occurrences of the "
            "same word, pre-trained, first repeat: " + ", ".join(
                f"{w} {v['mean']:.3f} ({v['min']:.3f})" for w, v in m["same_word"].items()))],
        notes=[f"occurrences per sense (A, B): {m['counts']}"])


@experiment(name="contextual-embeddings", lecture=LECTURE, judge=judge_contextual,
            claim="BERT gives the same word different vectors in different contexts, and "
                  "vectors of the same sense are closer than vectors of different senses.")
def contextual_embeddings(s: ContextualSettings, ctx: RunContext) -> Result:
    found = occurrences(s.per_sense)
    gaps = {"trained": [], "untrained": []}
    per_word, same_word = [], {}
    ctx.plan(trials=s.repeats)
    for r in range(s.repeats):
        corpus = bible_corpus(seed=ctx.seed_for(f"split/r{r}"), vocab_size=s.vocab_size,
                              tokenizer_verses=s.tokenizer_verses, max_train=s.max_train or None,
                              max_test=3)
        V_text, tok = corpus.tokenizer.vocab_size, corpus.tokenizer
        config = BertConfig(vocab=bert_vocab(V_text), d_model=s.d_model, num_heads=s.num_heads,
                            d_ff=s.d_ff, num_layers=s.num_layers, max_len=s.max_len)
        torch.manual_seed(ctx.seed_for(f"untrained/r{r}"))
        untrained = BertPretraining(config)
        pairs = sentence_pairs(corpus.train_ids, ctx.generator(f"pairs/r{r}"))
        with ctx.trial(f"bert-r{r}") as t:
            model = BertPretraining(config)
            state = BertPretrainingState(
                model=model, optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                generator=ctx.generator(f"batches/r{r}"), pairs=pairs)
            t.run(pretraining_step(s.batch_size, s.max_len, V_text), state,
                  LoopConfig(steps=s.steps), fingerprint=s.to_dict())
        first = {}
        for name, m in (("trained", model), ("untrained", untrained)):
            words = {}
            for w, (a, b) in found.items():
                va, vb = word_vectors(m, tok, a, s.max_len), word_vectors(m, tok, b, s.max_len)
                words[w] = {**cosine_gap(va, vb), "n": (len(va), len(vb))}
                if r == 0 and name == "trained":
                    v = F.normalize(torch.cat([va, vb]), dim=-1)
                    c, n = v @ v.T, len(v)  # (n, n)
                    same_word[w] = {"mean": ((c.sum() - c.diagonal().sum()) / (n * (n - 1))
                                             ).item(), "min": c.min().item()}
            gaps[name].append(sum(v["gap"] for v in words.values()) / len(words))
            first[name] = words
        if r == 0:
            per_word = [[w, *(f"{sense[0]} ({n})" for sense, n in
                              zip(SENSES[w], first["trained"][w]["n"], strict=True)),
                         *(first[name][w][k] for name in ("trained", "untrained")
                           for k in ("within_a", "within_b", "across", "gap"))]
                        for w in SENSES]
    counts = {w: (len(a), len(b)) for w, (a, b) in found.items()}
    _plot(ctx, gaps)
    return Result(metrics={"gap_trained": gaps["trained"], "gap_untrained": gaps["untrained"],
                           "same_word": same_word, "counts": counts}, tables=[
        table("Senses and their context rules", ["word", "sense A", "sense B"],
              [[w, f"{a[0]}: {a[1]} word in {sorted(a[2])}", f"{b[0]}: {b[1]} word in "
                f"{sorted(b[2])}"] for w, (a, b) in SENSES.items()]),
        table("Cosines, first repeat (pre-trained, then untrained)",
              ["word", "sense A (n)", "sense B (n)", "within A", "within B", "across", "gap",
               "untrained within A", "within B", "across", "gap"], per_word),
        table("Mean gap over the words, per repeat", ["repeat", "pre-trained", "untrained"],
              [[r, gaps["trained"][r], gaps["untrained"][r]] for r in range(s.repeats)])])


def _plot(ctx: RunContext, gaps: dict) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(5, 3.8))
    for i, name in enumerate(("untrained", "trained")):
        ax.scatter([i] * len(gaps[name]), gaps[name], color="tab:blue", s=14)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks([0, 1], ["untrained", "pre-trained"])
    ax.set(ylabel="within-sense minus across-sense cosine", title="Senses in contextual vectors")
    ctx.save_figure(fig, "sense_gap", "Mean cosine gap over the four words, per repeat (dots)")
