r"""``guided-attention``: on a task whose alignment is monotonic (as in speech synthesis), a
penalty pushing the attention towards the diagonal (Tachibana et al., arXiv:1710.08969 §4.1)
leaves fewer skipped and repeated tokens at test time.

Data (SYNTHETIC, seeded): a "spelling" of 8 letters, each read as one sound (letters a–d) or
two (letters e–h), in order, like text to phonemes or frames: "a e e b" → "A E1 E2 E1 E2 B".
A letter repeats the previous one with probability ``p_repeat``, so runs of equal letters
(where attention most easily slips) are common. Sources have ``min_len``..``max_len`` letters.

Models: the attention GRU encoder-decoder :class:`mllab.seq2seq.CopySeq2Seq` without pointer,
trained on the same batches for the same number of Adam steps, once on the negative
log-likelihood alone and once with :math:`+ \lambda \mathcal{L}_{att}` (``g`` and ``weight``).

Measure: each test spelling is decoded greedily (free running, until ``eos``) and aligned to
the reference by a Levenshtein alignment; a reference token the output lacks is **skipped**,
an output token the reference lacks is **repeated** (an insertion; on this task it is almost
always a sound said twice), per 100 reference tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.transformer import LECTURE
from mllab.seq2seq.copy_seq2seq import (
    CopySeq2Seq,
    CopySeq2SeqConfig,
    PaddedPairs,
    Seq2SeqState,
    teacher_forcing_step,
)
from mllab.seq2seq.guided_attention import guided_attention_loss
from mllab.train import LoopConfig

LETTERS = "abcdefgh"
SOUNDS = {c: [c.upper()] if c < "e" else [c.upper() + "1", c.upper() + "2"] for c in LETTERS}
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


@dataclass
class GuidedSettings(Settings):
    train_pairs: int = 2000
    """Training spellings (>= 1)."""
    test_pairs: int = 300
    """Test spellings (>= 1), decoded free running."""
    min_len: int = 6
    """Fewest letters of a spelling (>= 1)."""
    max_len: int = 16
    """Most letters of a spelling (>= min_len)."""
    p_repeat: float = 0.4
    """Probability that a letter repeats the previous one (in [0, 1))."""
    d_embed: int = 32
    """Embedding size (>= 1)."""
    d_hidden: int = 64
    """Decoder state size; each encoder direction has half (even, >= 2)."""
    steps: int = 600
    """Adam updates per model (>= 1): a short budget, the paper's claim is faster training."""
    batch_size: int = 32
    """Mini-batch size (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    g: float = 0.2
    """Width of the guide around the diagonal (the paper's 0.2)."""
    weight: float = 1.0
    """Weight λ of the guide's loss (the paper adds it with weight 1)."""
    repeats: int = 5
    """Independent repeats: data, initialisation and batch order (>= 1)."""
    margin: float = 1.0
    """Noise allowance (>= 0) in errors per 100 reference tokens: a difference under one
    error per hundred tokens is taken as none (fixed before the first run)."""
    accuracy_margin: float = 0.05
    """Noise allowance (>= 0) on sequence accuracy: 5 points, 15 of 300 test spellings."""

    def validate(self) -> None:
        for name in ("train_pairs", "test_pairs", "min_len", "d_embed", "steps", "batch_size",
                     "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.max_len >= self.min_len, "max_len", f">= min_len ({self.min_len})",
                self.max_len)
        require(0 <= self.p_repeat < 1, "p_repeat", "in [0, 1)", self.p_repeat)
        require(self.d_hidden >= 2 and self.d_hidden % 2 == 0, "d_hidden", "an even integer >= 2",
                self.d_hidden)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.g > 0, "g", "> 0 (the paper: 0.2)", self.g)
        require(self.weight >= 0, "weight", ">= 0", self.weight)
        require(self.margin >= 0, "margin", ">= 0", self.margin)
        require(self.accuracy_margin >= 0, "accuracy_margin", ">= 0", self.accuracy_margin)

    @classmethod
    def quick(cls) -> GuidedSettings:
        return cls(train_pairs=300, test_pairs=60, min_len=4, max_len=8, steps=40, repeats=2)


def vocabulary() -> dict[str, int]:
    r"""Ids: the specials, the letters, the sounds."""
    sounds = [x for c in LETTERS for x in SOUNDS[c]]
    return {w: i for i, w in enumerate([*SPECIALS, *LETTERS, *sounds])}


def make_pairs(n: int, s: GuidedSettings, vocab: dict[str, int],
               g: torch.Generator) -> PaddedPairs:
    r"""``n`` spellings and their sounds (SYNTHETIC)."""
    sources, targets = [], []
    for _ in range(n):
        N = int(torch.randint(s.min_len, s.max_len + 1, (1,), generator=g))
        letters = [LETTERS[int(torch.randint(len(LETTERS), (1,), generator=g))]]
        for _ in range(N - 1):
            again = bool(torch.rand(1, generator=g) < s.p_repeat)
            letters.append(letters[-1] if again else
                           LETTERS[int(torch.randint(len(LETTERS), (1,), generator=g))])
        sources.append([vocab[c] for c in letters])
        targets.append([vocab[x] for c in letters for x in SOUNDS[c]])
    return PaddedPairs.of(sources, targets, pad=0, bos=1, eos=2)


def edit_operations(out: list[int], ref: list[int]) -> dict[str, int]:
    r"""Substituted, skipped (deleted) and repeated (inserted) tokens on one Levenshtein
    alignment of ``out`` to ``ref`` (ties broken towards substitution, then skipping)."""
    n, m = len(ref), len(out)
    D = [[i + j if i * j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i][j] = min(D[i - 1][j - 1] + (ref[i - 1] != out[j - 1]), D[i - 1][j] + 1,
                          D[i][j - 1] + 1)
    ops = {"substituted": 0, "skipped": 0, "repeated": 0}
    i, j = n, m
    while i or j:
        if i and j and D[i][j] == D[i - 1][j - 1] + (ref[i - 1] != out[j - 1]):
            ops["substituted"] += ref[i - 1] != out[j - 1]
            i, j = i - 1, j - 1
        elif i and D[i][j] == D[i - 1][j] + 1:
            ops["skipped"], i = ops["skipped"] + 1, i - 1
        else:
            ops["repeated"], j = ops["repeated"] + 1, j - 1
    return ops


def score(tokens: torch.Tensor, test: PaddedPairs) -> dict[str, float]:
    r"""Errors per 100 reference tokens and sequence accuracy of decoded ``tokens``."""
    total = {"substituted": 0, "skipped": 0, "repeated": 0}
    right = n_ref = 0
    for b in range(len(test)):
        ref = test.tgt_out[b, :int(test.tgt_len[b]) - 1].tolist()  # without eos
        out = tokens[b].tolist()
        out = out[:out.index(2)] if 2 in out else out
        for k, v in edit_operations(out, ref).items():
            total[k] += v
        right, n_ref = right + (out == ref), n_ref + len(ref)
    per100 = {k: 100 * v / n_ref for k, v in total.items()}
    return {**per100, "skipped_or_repeated": per100["skipped"] + per100["repeated"],
            "sequence_accuracy": right / len(test)}


def judge_guided(m: dict, s: GuidedSettings) -> Evidence:
    free, guided = m["runs"]["unguided"], m["runs"]["guided"]

    def values(model: list[dict], key: str) -> list[float]:
        return [r[key] for r in model]

    return Evidence(checks=[
        Check("guided attention leaves fewer skipped and repeated tokens",
              "skipped + repeated per 100 reference tokens, unguided minus guided",
              paired(values(free, "skipped_or_repeated"), values(guided, "skipped_or_repeated")),
              margin=s.margin, reason="one error per 100 tokens for noise (margin)"),
        Check("with the guide more outputs come out entirely right",
              "sequence accuracy, guided minus unguided",
              paired(values(guided, "sequence_accuracy"), values(free, "sequence_accuracy")),
              margin=s.accuracy_margin, reason="5 points of accuracy for noise "
                                               "(accuracy_margin)")],
        notes=[f"{k} per 100 reference tokens, unguided vs guided, per repeat: "
               + ", ".join(f"{a[k]:.2f} vs {b[k]:.2f}" for a, b in zip(free, guided, strict=True))
               for k in ("skipped", "repeated", "substituted")]
        + ["guide loss L_att of the test attention, unguided vs guided: " + ", ".join(
            f"{a['guide_loss']:.4f} vs {b['guide_loss']:.4f}"
            for a, b in zip(free, guided, strict=True))])


@experiment(name="guided-attention", lecture=LECTURE, judge=judge_guided,
            claim="On a monotonic alignment task (each input token read as one or two output "
                  "tokens, in order, as in speech synthesis), guided attention (a penalty off "
                  "the diagonal) leaves fewer skipped and repeated tokens at test time.")
def guided_attention(s: GuidedSettings, ctx: RunContext) -> Result:
    vocab = vocabulary()
    V = len(vocab)
    runs: dict[str, list[dict]] = {"unguided": [], "guided": []}
    maps = {}
    ctx.plan(trials=2 * s.repeats)

    def guide(out, b):
        return guided_attention_loss(out.a, s.g, tgt_len=b.tgt_len, src_len=b.src_len)

    for r in range(s.repeats):
        train = make_pairs(s.train_pairs, s, vocab, ctx.generator(f"train/r{r}"))
        test = make_pairs(s.test_pairs, s, vocab, ctx.generator(f"test/r{r}"))
        for name in runs:
            with ctx.trial(f"{name}-r{r}") as t:
                model = CopySeq2Seq(CopySeq2SeqConfig(vocab_size=V, d_embed=s.d_embed,
                                                      d_hidden=s.d_hidden, pointer=False))
                state = Seq2SeqState(model=model,
                                     optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                                     generator=ctx.generator(f"batches/r{r}"), data=train)
                step = teacher_forcing_step(s.batch_size, V, weight=s.weight,
                                            penalty=guide if name == "guided" else None)
                t.run(step, state, LoopConfig(steps=s.steps), fingerprint=s.to_dict())
            model.eval()
            dec = model.greedy(test.src, test.src_len, V, max_len=2 * s.max_len + 5)
            result = score(dec.tokens, test)
            with torch.no_grad():
                out = model(test.src, test.src_len, test.tgt_in, V)
                result["guide_loss"] = guide(out, test).item()
            runs[name].append(result)
            if r == 0:
                maps[name] = dec
            if r == 0 and name == "guided":
                maps["test"] = test
    mean = {n: {k: sum(x[k] for x in v) / len(v) for k in v[0]} for n, v in runs.items()}
    rows = [[n, i, x["skipped"], x["repeated"], x["substituted"], x["sequence_accuracy"]]
            for n, v in runs.items() for i, x in enumerate(v)]
    _plot_maps(ctx, maps, vocab)
    return Result(metrics={"runs": runs, "mean": mean}, tables=[table(
        f"{s.test_pairs} test spellings decoded free running: errors per 100 reference tokens",
        ["model", "repeat", "skipped", "repeated", "substituted", "sequence accuracy"], rows)])


def _plot_maps(ctx: RunContext, maps: dict, vocab: dict[str, int]) -> None:
    from mllab.report import new_figure

    test = maps["test"]
    b = int(test.src_len.argmax())  # the longest test spelling
    words = {i: w for w, i in vocab.items()}
    src = [words[i] for i in test.src[b, :int(test.src_len[b])].tolist()]
    fig, axes = new_figure(ncols=2, size=(10, 5))
    for ax, name in zip(axes, ("unguided", "guided"), strict=True):
        out = maps[name].tokens[b].tolist()
        L = out.index(2) + 1 if 2 in out else len(out)
        ax.imshow(maps[name].a[b, :L, :len(src)].numpy(), cmap="Blues", vmin=0, vmax=1,
                  aspect="auto")
        ax.set_xticks(range(len(src)), src, fontsize=7)
        ax.set_yticks(range(L), [words.get(w, "?") for w in out[:L]], fontsize=6)
        ax.set(title=f"{name} (free running)", xlabel="letters (input)",
               ylabel="sounds written (output)")
    ctx.save_figure(fig, "attention", "Attention of one test spelling (the longest), decoded "
                                      "free running, without and with the guide (repeat 0)")
