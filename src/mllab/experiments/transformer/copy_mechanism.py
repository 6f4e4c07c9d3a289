r"""``copy-mechanism``: a chat-bot that must repeat a name it never saw in training copies it
with a pointer (pointer-generator, arXiv:1704.04368) and cannot without one.

Data (SYNTHETIC, seeded): a greeting that introduces a name, "hi i am N" or "good morning ,
this is N speaking", and the reply its template fixes, "hello N nice to meet you". A name is
one or two made-up words (two syllables each, "ka" + "mi"). The fixed vocabulary holds the
template words; names are rare, so they stay out of it, as rare words stay out of See et al.'s
50k-word vocabulary, and every name's words are out-of-vocabulary (numbered per example in the
extended vocabulary). The test greetings use names that appear nowhere in training.

Models: the attention GRU encoder-decoder :class:`mllab.seq2seq.CopySeq2Seq`, the same sizes
and training with ``pointer=True`` (the final distribution of Eq. 9) and ``pointer=False``
(the fixed vocabulary only; names are learned as ``unk``). Both train on the same batches with
Adam for the same number of steps and decode the test greetings greedily (free running).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.transformer import LECTURE
from mllab.seq2seq.copy_seq2seq import (
    CopySeq2Seq,
    CopySeq2SeqConfig,
    PaddedPairs,
    Seq2SeqState,
    teacher_forcing_step,
)
from mllab.train import LoopConfig

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
TEMPLATES = (  # (greeting, reply); N is the name
    ("hi i am N", "hello N nice to meet you"),
    ("hello , my name is N", "nice to meet you N , how are you ?"),
    ("hey there , i am N", "hi N , welcome !"),
    ("good morning , this is N speaking", "good morning N , how can i help ?"),
    ("my name is N , nice to meet you", "nice to meet you too N !"),
)
CONSONANTS, VOWELS = "bdfgklmnprstvz", "aeiou"
N_EXTRA = 2
"""Out-of-vocabulary slots of the extended vocabulary: a name has at most two words."""


@dataclass
class CopySettings(Settings):
    train_pairs: int = 2000
    """Training greetings (>= 1), each with a name drawn from the training names."""
    train_names: int = 300
    """Names that training uses (>= 1); the test names are others."""
    test_pairs: int = 300
    """Test greetings (>= 1), each with a name never seen in training."""
    d_embed: int = 32
    """Word embedding size (>= 1)."""
    d_hidden: int = 64
    """Decoder state size; each encoder direction has half (even, >= 2)."""
    steps: int = 600
    """Adam updates per model (>= 1); the task is small, so a few hundred suffice."""
    batch_size: int = 32
    """Mini-batch size (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: names, data, initialisation and batch order (>= 1)."""
    copy_threshold: float = 0.5
    """The pointer copies most unseen names: its name accuracy must exceed this (in (0, 1))."""
    margin: float = 0.1
    """Noise allowance on accuracies (>= 0): 10 points; on a few hundred test replies a
    smaller difference is taken as none (fixed before the first run)."""
    template_floor: float = 0.8
    """Precondition: the model without pointer writes the reply right, names read as unk, on
    at least this share of test greetings (so that its failure to copy is not under-training)."""

    def validate(self) -> None:
        for name in ("train_pairs", "train_names", "test_pairs", "d_embed", "steps",
                     "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.d_hidden >= 2 and self.d_hidden % 2 == 0, "d_hidden", "an even integer >= 2",
                self.d_hidden)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0 < self.copy_threshold < 1, "copy_threshold", "in (0, 1)", self.copy_threshold)
        require(self.margin >= 0, "margin", ">= 0", self.margin)
        require(0 <= self.template_floor <= 1, "template_floor", "in [0, 1]", self.template_floor)
        pool = (len(CONSONANTS) * len(VOWELS)) ** 2
        require(self.train_names < pool // 2, "train_names", f"< {pool // 2}", self.train_names)

    @classmethod
    def quick(cls) -> CopySettings:
        return cls(train_pairs=300, test_pairs=60, steps=50, repeats=2)


def vocabulary() -> dict[str, int]:
    r"""Ids of the fixed vocabulary: the specials, then every template word."""
    words = sorted({w for pair in TEMPLATES for text in pair for w in text.split() if w != "N"})
    return {w: i for i, w in enumerate([*SPECIALS, *words])}


def make_names(g: torch.Generator) -> list[str]:
    r"""Every two-syllable made-up word, in a seeded random order (SYNTHETIC)."""
    syllables = [c + v for c in CONSONANTS for v in VOWELS]
    words = [a + b for a in syllables for b in syllables]
    return [words[i] for i in torch.randperm(len(words), generator=g).tolist()]


def make_pairs(n: int, words: list[str], g: torch.Generator) -> list[tuple[list[str], list[str]]]:
    r"""``n`` (greeting, reply) pairs with names of one or two of ``words`` (SYNTHETIC)."""
    pairs = []
    for _ in range(n):
        k = int(torch.randint(len(TEMPLATES), (1,), generator=g))
        two = bool(torch.rand(1, generator=g) < 0.5)
        idx = torch.randint(len(words), (2,), generator=g).tolist()
        name = [words[idx[0]]] + ([words[idx[1]]] if two and idx[1] != idx[0] else [])
        greeting, reply = (t.replace("N", " ".join(name)).split() for t in TEMPLATES[k])
        pairs.append((greeting, reply))
    return pairs


def encode(pairs: list, vocab: dict[str, int]) -> tuple[PaddedPairs, list[list[str]]]:
    r"""Ids in the extended vocabulary: a word outside ``vocab`` gets ``V + k``, ``k`` its order
    of first appearance in its greeting; returns the pairs and each greeting's OOV words."""
    V, sources, targets, oovs = len(vocab), [], [], []
    for greeting, reply in pairs:
        oov = list(dict.fromkeys(w for w in greeting if w not in vocab))
        ids = {**vocab, **{w: V + k for k, w in enumerate(oov)}}
        sources.append([ids[w] for w in greeting])
        targets.append([ids.get(w, vocab["<unk>"]) for w in reply])
        oovs.append(oov)
    return PaddedPairs.of(sources, targets, pad=0, bos=1, eos=2), oovs


def score(tokens: torch.Tensor, test: PaddedPairs, V: int) -> dict[str, float]:
    r"""Name accuracy (every name word at its place in the reply), sequence accuracy (the whole
    reply right), template accuracy (right with every name word read as ``unk``) and the share
    of name words written as ``unk``."""
    names = seqs = templates = slots = unks = 0
    for b in range(len(test)):
        ref = test.tgt_out[b, :int(test.tgt_len[b])].tolist()
        out = tokens[b].tolist()
        out = out[:out.index(2) + 1] if 2 in out else out
        at = {i: out[i] if i < len(out) else None for i, w in enumerate(ref) if w >= V}
        names += all(at[i] == ref[i] for i in at)
        seqs += out == ref
        templates += [3 if w >= V else w for w in out] == [3 if w >= V else w for w in ref]
        slots, unks = slots + len(at), unks + sum(w == 3 for w in at.values())
    n = len(test)
    return {"name_accuracy": names / n, "sequence_accuracy": seqs / n,
            "template_accuracy": templates / n, "unk_written": unks / max(slots, 1)}


def judge_copy(m: dict, s: CopySettings) -> Evidence:
    ptr, base = m["runs"]["pointer"], m["runs"]["no-pointer"]

    def values(model: list[dict], key: str) -> list[float]:
        return [r[key] for r in model]

    return Evidence(
        checks=[
            Check("with a pointer the model copies names it never saw in training",
                  "name accuracy on unseen names, pointer", values(ptr, "name_accuracy"),
                  margin=s.margin, threshold=s.copy_threshold,
                  reason="most unseen names copied (threshold), 10 points for noise (margin)"),
            Check("the pointer copies unseen names that the model without it cannot",
                  "name accuracy on unseen names, pointer minus no pointer",
                  paired(values(ptr, "name_accuracy"), values(base, "name_accuracy")),
                  margin=s.margin, reason="10 points of accuracy for noise (margin)"),
            Check("with a pointer whole replies come out right",
                  "sequence accuracy, pointer minus no pointer",
                  paired(values(ptr, "sequence_accuracy"), values(base, "sequence_accuracy")),
                  margin=s.margin, reason="10 points of accuracy for noise (margin)")],
        preconditions=[Precondition(
            "the model without pointer learned the replies (names read as unk)",
            "template accuracy per repeat: " + ", ".join(
                f"{v:.3f}" for v in values(base, "template_accuracy"))
            + f" (floor {s.template_floor:g})",
            min(values(base, "template_accuracy")) >= s.template_floor)],
        demonstrations=[Demonstration(
            "without a pointer an out-of-vocabulary word has probability 0 (Eq. 9 with "
            "p_gen = 1): such a model can at best write unk where the name goes",
            "share of unseen names written as unk without pointer, per repeat: " + ", ".join(
                f"{r['unk_written']:.3f}" for r in base))])


@experiment(name="copy-mechanism", lecture=LECTURE, judge=judge_copy,
            claim="A chat-bot with a copy mechanism (pointer-generator) repeats a name it never "
                  "saw in training (\"hi i am N\" → \"hello N nice to meet you\"); without "
                  "the pointer it cannot, as the name is not in its vocabulary.")
def copy_mechanism(s: CopySettings, ctx: RunContext) -> Result:
    vocab = vocabulary()
    V = len(vocab)
    runs: dict[str, list[dict]] = {"pointer": [], "no-pointer": []}
    ctx.plan(trials=2 * s.repeats)
    example = None
    for r in range(s.repeats):
        names = make_names(ctx.generator(f"names/r{r}"))
        train_words, test_words = names[:s.train_names], names[s.train_names:2 * s.train_names]
        train, _ = encode(make_pairs(s.train_pairs, train_words, ctx.generator(f"train/r{r}")),
                          vocab)
        test_pairs = make_pairs(s.test_pairs, test_words, ctx.generator(f"test/r{r}"))
        test, oovs = encode(test_pairs, vocab)
        for name, pointer in (("pointer", True), ("no-pointer", False)):
            with ctx.trial(f"{name}-r{r}") as t:
                model = CopySeq2Seq(CopySeq2SeqConfig(vocab_size=V, d_embed=s.d_embed,
                                                      d_hidden=s.d_hidden, pointer=pointer))
                state = Seq2SeqState(model=model,
                                     optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                                     generator=ctx.generator(f"batches/r{r}"), data=train)
                t.run(teacher_forcing_step(s.batch_size, V + N_EXTRA), state,
                      LoopConfig(steps=s.steps), fingerprint=s.to_dict())
            model.eval()
            dec = model.greedy(test.src, test.src_len, V + N_EXTRA,
                               max_len=int(test.tgt_len.max()) + 5)
            result = score(dec.tokens, test, V)
            runs[name].append(result)
            if name == "pointer" and r == 0:
                example = (test_pairs[0], oovs[0], dec, V)
    mean = {n: {k: sum(x[k] for x in v) / len(v) for k in v[0]} for n, v in runs.items()}
    rows = [[n, i, x["name_accuracy"], x["sequence_accuracy"], x["template_accuracy"]]
            for n, v in runs.items() for i, x in enumerate(v)]
    _plot_accuracy(ctx, runs)
    _plot_example(ctx, example, vocab)
    return Result(metrics={"runs": runs, "mean": mean, "vocabulary_size": V},
                  tables=[table(f"Test replies to greetings with {s.test_pairs} unseen names, "
                                "greedy decoding", ["model", "repeat", "name accuracy",
                                                    "sequence accuracy",
                                                    "template accuracy (names as unk)"],
                                rows)])


def _plot_accuracy(ctx: RunContext, runs: dict) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6.5, 3.6))
    keys = ("name_accuracy", "sequence_accuracy", "template_accuracy")
    for j, (name, color) in enumerate((("pointer", "tab:blue"), ("no-pointer", "tab:orange"))):
        for i, key in enumerate(keys):
            v = [x[key] for x in runs[name]]
            x = i + (j - 0.5) * 0.35
            ax.bar(x, sum(v) / len(v), width=0.33, color=color, alpha=0.6,
                   label=name if i == 0 else None)
            ax.scatter([x] * len(v), v, color="k", s=10, zorder=3)
    ax.set_xticks(range(len(keys)), ["name copied", "whole reply", "reply, names as unk"])
    ax.set(ylabel="test accuracy", ylim=(0, 1.05), title="Replies to unseen names (SYNTHETIC)")
    ax.legend(loc="upper left", fontsize=8)
    ctx.save_figure(fig, "accuracy", "Accuracy on test greetings with names never seen in "
                                     "training (bars: mean, dots: repeats)")


def _plot_example(ctx: RunContext, example, vocab: dict[str, int]) -> None:
    from mllab.report import new_figure

    (greeting, _), oov, dec, V = example
    words = {i: w for w, i in vocab.items()} | {V + k: w for k, w in enumerate(oov)}
    out = dec.tokens[0].tolist()
    L = out.index(2) + 1 if 2 in out else len(out)
    a = dec.a[0, :L, :len(greeting)].numpy()  # (L, S)
    p_gen = dec.p_gen[0, :L].numpy()
    fig, (ax, bx) = new_figure(ncols=2, size=(9, 4.2))
    ax.imshow(a, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(greeting)), greeting, rotation=60, fontsize=8)
    ax.set_yticks(range(L), [words.get(w, "?") for w in out[:L]], fontsize=8)
    ax.set(title="attention a_t (rows: words written)", xlabel="greeting")
    bx.barh(range(L), p_gen, color="tab:green")
    bx.set_yticks(range(L), [words.get(w, "?") for w in out[:L]], fontsize=8)
    bx.invert_yaxis()
    bx.set(xlim=(0, 1), xlabel="p_gen (1: generate, 0: copy)", title="generation probability")
    ctx.save_figure(fig, "example", "One test greeting with an unseen name: the pointer "
                                    "model's attention and p_gen at each word it writes")
