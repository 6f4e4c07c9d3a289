r"""``attention-vs-rnn``: (a) an RNN must carry information step by step, so its accuracy falls
as the distance to the token it needs grows, while self-attention reaches any token in one
step; (b) an RNN's steps are sequential, self-attention computes every position in one
parallel pass: the wall time of a training step as the length T grows.

(a) The task is :func:`mllab.data.long_range_task` (SYNTHETIC): every label
:math:`y_t = (f_t + c) \bmod K` needs the one cue token at :math:`p`, at distance
:math:`|t - p|`. A bidirectional GRU tagger (so that cues on either side are reachable) and a
one-block Transformer encoder with about as many parameters train with Adam for the same
epochs on the same sequences, with the same gradient clipping, in each of ``repeats``
repeats; test accuracy is read by distance: *near* (at most ``near`` from the cue) and *far*
(at least T / 2).

(b) Fresh copies of both networks are timed on random batches of each length in
``timed_lengths``: every round times ``timed_steps`` training steps (forward, backward, Adam)
of every (network, length) pair, the order flipped every round, after one untimed round that
warms up; stored with ``t.record``, never part of a checkpoint. Times are wall clock, evidence
about this machine. mllab runs on one thread by default, so "parallel" here means vectorised
work inside one core: an RNN makes T dependent steps per direction, self-attention one batched
pass whose arithmetic grows as :math:`T^2` (on a GPU the pass runs in parallel as well).

Differences from the course: the lecture argues with a picture; the distances, sizes and the
GRU (rather than a plain RNN, which fares worse) are this experiment's choices.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.data import accuracy_by_distance, long_range_task, long_range_vocab
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.self_attention import LECTURE
from mllab.losses import cross_entropy
from mllab.nn import num_parameters
from mllab.train import TrainConfig
from mllab.transformer import EncoderClassifier, EncoderClassifierConfig

MODELS = ("rnn", "self-attention")
LABELS = {"rnn": "bidirectional GRU", "self-attention": "self-attention"}


@dataclass
class RNNSettings(Settings):
    length: int = 32
    """Tokens per sequence T in (a) (>= 4)."""
    classes: int = 4
    """Classes K of every label (>= 2); chance accuracy is 1/K."""
    near: int = 3
    """(a) "near": positions at most this far from their cue (>= 0, < length / 2)."""
    embedding: int = 32
    """Size of the GRU's token embeddings (>= 1)."""
    hidden: int = 24
    """Hidden units of each direction of the GRU (>= 1); 24 makes about as many parameters
    as the encoder block."""
    d_model: int = 32
    """Self-attention's token vector size d (a multiple of num_heads)."""
    num_heads: int = 2
    """Attention heads (>= 1)."""
    d_ff: int = 64
    """Hidden units of the encoder block's feed-forward network (>= 1)."""
    train_sequences: int = 2000
    """(a) Training sequences per repeat (>= 1)."""
    test_sequences: int = 500
    """(a) Test sequences per repeat (>= 1)."""
    epochs: int = 8
    """(a) Epochs of Adam for both networks (>= 1)."""
    batch_size: int = 64
    """Sequences per update, in (a) and in the timing (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate for both networks (> 0)."""
    clip: float = 1.0
    """Gradient-norm clipping for both networks (> 0), the usual guard for RNNs."""
    repeats: int = 5
    """(a) Independent repeats: data, initialisation, batch order (>= 1)."""
    accuracy_margin: float = 0.05
    """Noise allowance on accuracy differences (>= 0): the claims are directions, and a
    difference below 0.05 counts as none."""
    timed_lengths: tuple[int, ...] = (16, 32, 64, 128, 256)
    """(b) Sequence lengths T whose training step is timed, increasing (two or more, >= 1)."""
    timing_rounds: int = 5
    """(b) Timed rounds, after one untimed warm-up round (>= 2)."""
    timed_steps: int = 2
    """(b) Training steps per (network, length) pair per round (>= 1)."""
    timing_tolerance: float = 0.1
    """Timing noise allowance: step times within this fraction of each other count as equal
    (>= 0); repeated timings of the same work on this shared 2-core machine differ by 3–10%
    (the benchmarks' A/A pairs)."""

    def validate(self) -> None:
        for name, least in (("length", 4), ("classes", 2), ("near", 0), ("embedding", 1),
                            ("hidden", 1), ("num_heads", 1), ("d_ff", 1),
                            ("train_sequences", 1), ("test_sequences", 1), ("epochs", 1),
                            ("batch_size", 1), ("repeats", 1), ("timing_rounds", 2),
                            ("timed_steps", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.near < self.length // 2, "near", f"< length / 2 = {self.length // 2}",
                self.near)
        require(self.d_model >= 1 and self.d_model % self.num_heads == 0, "d_model",
                f"a positive multiple of num_heads = {self.num_heads}", self.d_model)
        lengths = list(self.timed_lengths)
        require(len(lengths) >= 2 and min(lengths) >= 1 and lengths == sorted(set(lengths)),
                "timed_lengths", "two or more increasing integers >= 1", self.timed_lengths)
        for name in ("lr", "clip"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("accuracy_margin", "timing_tolerance"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> RNNSettings:
        return cls(length=16, near=2, train_sequences=600, test_sequences=200, repeats=2,
                   timed_lengths=(16, 128), timing_rounds=2, timed_steps=1)


class RNNTagger(nn.Module):
    r"""A bidirectional GRU tagger: the lecture's RNN alternative to self-attention,

    .. math:: h_t = [\overrightarrow{\mathrm{GRU}}(x_1..x_t);
        \overleftarrow{\mathrm{GRU}}(x_T..x_t)], \qquad z_t = W h_t + b,

    where each direction makes :math:`T` dependent steps."""

    def __init__(self, vocab: int, classes: int, embedding: int, hidden: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.rnn = nn.GRU(embedding, hidden, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, classes)

    def forward(self, x: Tensor) -> Tensor:
        r"""Logits ``(B, T, K)`` for token ids ``x`` ``(B, T)``."""
        h, _ = self.rnn(self.embedding(x))  # (B, T, 2H)
        return self.classifier(h)


def token_cross_entropy(logits: Tensor, y: Tensor) -> Tensor:
    r"""Cross-entropy over every position: logits ``(B, T, K)``, labels ``(B, T)``."""
    return cross_entropy(logits.flatten(0, 1), y.flatten())  # (B T, K) against (B T,)


def _build(name: str, s: RNNSettings, max_len: int) -> nn.Module:
    vocab = long_range_vocab(s.classes)
    if name == "rnn":
        return RNNTagger(vocab, s.classes, s.embedding, s.hidden)
    return EncoderClassifier(EncoderClassifierConfig(
        s.classes, vocab=vocab, d_model=s.d_model, num_heads=s.num_heads, d_ff=s.d_ff,
        num_layers=1, max_len=max_len))


def time_training_steps(models: dict[str, nn.Module], lengths: list[int], *, classes: int,
                        batch: int, rounds: int, steps: int, generator: torch.Generator) -> dict:
    r"""Wall time of one training step (forward, backward, Adam) of each network at each
    length, interleaved: every round times ``steps`` steps of every (network, length) pair in
    turn, the order flipped every round, after one untimed round that warms up.

    Returns:
        ``{"round_seconds": {name: [[per round] per length]}, "step_seconds": {name:
        [median per length]}}``, seconds per step.
    """
    data = {T: long_range_task(batch, T, classes, generator=generator) for T in lengths}
    optimizers = {n: torch.optim.Adam(m.parameters()) for n, m in models.items()}
    pairs = [(n, i) for n in models for i in range(len(lengths))]
    seconds = {n: [[] for _ in lengths] for n in models}
    for r in range(rounds + 1):  # round 0 warms up
        for name, i in pairs if r % 2 else pairs[::-1]:
            task, model, opt = data[lengths[i]], models[name], optimizers[name]
            begin = time.perf_counter()
            for _ in range(steps):
                opt.zero_grad()
                token_cross_entropy(model(task.x), task.y).backward()
                opt.step()
            if r:
                seconds[name][i].append((time.perf_counter() - begin) / steps)
    return {"round_seconds": seconds,
            "step_seconds": {n: [statistics.median(t) for t in v] for n, v in seconds.items()}}


def loglog_slope(lengths: list[int], seconds: list[float]) -> float:
    r"""Least-squares slope of :math:`\log t` against :math:`\log T`: 1 for a time linear in
    T, 2 for a quadratic one."""
    u = [math.log(T) for T in lengths]
    v = [math.log(t) for t in seconds]
    u_bar, v_bar = sum(u) / len(u), sum(v) / len(v)
    return (sum((a - u_bar) * (b - v_bar) for a, b in zip(u, v, strict=True))
            / sum((a - u_bar) ** 2 for a in u))


def judge_rnn(m: dict, s: RNNSettings) -> Evidence:
    near, far, timing = m["near_accuracy_runs"], m["far_accuracy_runs"], m["timing"]
    lengths, rounds = timing["lengths"], timing["round_seconds"]
    far_band = f"at least {m['far_from']} from the cue"
    reason = f"the claims are directions; a difference below {s.accuracy_margin:g} counts as " \
             f"none (accuracy_margin)"
    slopes = {n: [loglog_slope(lengths, list(t)) for t in zip(*rounds[n], strict=True)]
              for n in MODELS}
    tol = math.log(1 + s.timing_tolerance)
    checks = [
        Check("self-attention extracts information far away more easily than an RNN",
              f"test accuracy on positions {far_band}, self-attention minus GRU",
              paired(far["self-attention"], far["rnn"]), margin=s.accuracy_margin,
              reason=reason),
        Check("an RNN must keep the information in memory all the way: its accuracy falls "
              "with the distance", f"GRU test accuracy, positions at most {s.near} from the "
              f"cue minus positions {far_band}", paired(near["rnn"], far["rnn"]),
              margin=s.accuracy_margin, reason=reason),
        Check("self-attention reaches any distance in one step: its accuracy does not fall "
              "with the distance", f"self-attention test accuracy, positions at most {s.near} "
              f"from the cue minus positions {far_band}",
              paired(near["self-attention"], far["self-attention"]), margin=0.0,
              threshold=s.accuracy_margin, below=True,
              reason=f"a fall below {s.accuracy_margin:g} counts as none (accuracy_margin)"),
        Check(f"self-attention trains faster than an RNN (T = {lengths[-1]})",
              f"log(GRU step time / self-attention step time) at T = {lengths[-1]}, per timing "
              f"round (wall clock on this machine)",
              [math.log(a / b) for a, b in zip(rounds["rnn"][-1], rounds["self-attention"][-1],
                                               strict=True)], margin=tol,
              reason=f"{s.timing_tolerance:.0%} is this machine's timing noise "
                     f"(timing_tolerance)"),
        Check("an RNN's sequential steps make its time grow with T faster than "
              "self-attention's parallel pass", f"slope of log step time against log T "
              f"(T = {lengths[0]}..{lengths[-1]}), GRU minus self-attention, per timing round "
              f"(wall clock on this machine)", paired(slopes["rnn"], slopes["self-attention"]),
              margin=tol / math.log(lengths[-1] / lengths[0]),
              reason=f"{s.timing_tolerance:.0%} timing noise at one end of the range of T moves "
                     f"the slope by this much (timing_tolerance)")]
    steps = ", ".join(f"T={T}: {2 * T} vs 1" for T in lengths)
    return Evidence(
        checks=checks,
        demonstrations=[Demonstration(
            "a bidirectional RNN makes 2T dependent steps per layer, self-attention one pass "
            "over all positions (by construction)", f"sequential steps per layer, GRU vs "
            f"self-attention: {steps}")],
        notes=[f"parameters: GRU {m['parameters']['rnn']:,}, self-attention "
               f"{m['parameters']['self-attention']:,}",
               "times are wall clock on this machine, one thread: they vary between machines "
               "and runs, unlike every other number here; median ms per step "
               + "; ".join(f"{LABELS[n]} " + ", ".join(
                   f"T={T}: {t * 1e3:.3g}" for T, t in
                   zip(lengths, timing["step_seconds"][n], strict=True)) for n in MODELS)
               + "; median log-log slopes " + ", ".join(
                   f"{LABELS[n]} {statistics.median(slopes[n]):.2f}" for n in MODELS)])


@experiment(name="attention-vs-rnn", lecture=LECTURE, judge=judge_rnn,
            claim="An RNN must carry information step by step, so reaching a far token gets "
                  "harder with the distance, and its steps cannot run in parallel; "
                  "self-attention reaches any token in one step and computes all positions "
                  "in one parallel pass.")
def attention_vs_rnn(s: RNNSettings, ctx: RunContext) -> Result:
    near: dict[str, list[float]] = {n: [] for n in MODELS}
    far: dict[str, list[float]] = {n: [] for n in MODELS}
    curves: dict[str, list[list[float | None]]] = {n: [] for n in MODELS}
    parameters, far_from = {}, s.length // 2
    ctx.plan(trials=s.repeats * len(MODELS) + 1)
    for r in range(s.repeats):
        g = ctx.generator(f"data/r{r}")
        train = long_range_task(s.train_sequences, s.length, s.classes, generator=g)
        test = long_range_task(s.test_sequences, s.length, s.classes, generator=g)
        for name in MODELS:
            with ctx.trial(f"{name}-r{r}") as t:
                model = _build(name, s, s.length)
                t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), token_cross_entropy,
                      (train.x, train.y), None, TrainConfig(
                          epochs=s.epochs, batch_size=s.batch_size, clip_grad_norm=s.clip),
                      fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                predicted = model(test.x).argmax(-1)  # (N, T)
            correct = predicted == test.y
            near[name].append(correct[test.distance <= s.near].double().mean().item())
            far[name].append(correct[test.distance >= far_from].double().mean().item())
            curves[name].append([v if v == v else None for v in accuracy_by_distance(
                predicted, test.y, test.distance, s.length - 1)])  # NaN (none there): None
            parameters[name] = num_parameters(model)
    lengths = list(s.timed_lengths)
    with ctx.trial("timing") as t:
        timing = t.record("seconds", lambda: time_training_steps(
            {n: _build(n, s, lengths[-1]) for n in MODELS}, lengths, classes=s.classes,
            batch=s.batch_size, rounds=s.timing_rounds, steps=s.timed_steps,
            generator=ctx.generator("timing-data")))
    timing["lengths"] = lengths
    _plot(ctx, s, curves, timing)
    mean = {n: (sum(near[n]) / s.repeats, sum(far[n]) / s.repeats) for n in MODELS}
    return Result(
        metrics={"near_accuracy_runs": near, "far_accuracy_runs": far, "far_from": far_from,
                 "accuracy_by_distance_runs": curves, "parameters": parameters,
                 "timing": timing},
        tables=[table(f"(a) Test accuracy (mean over {s.repeats} repeats; SYNTHETIC long-range "
                      f"task, T = {s.length}, K = {s.classes})",
                      ["network", "parameters", f"at most {s.near} from the cue",
                       f"at least {far_from} from the cue"],
                      [[LABELS[n], parameters[n], *mean[n]] for n in MODELS]),
                table(f"(b) Wall time per training step, batch {s.batch_size} (median of "
                      f"{s.timing_rounds} interleaved rounds, ms)",
                      ["T", *(LABELS[n] for n in MODELS), "GRU / self-attention"],
                      [[T, *(timing["step_seconds"][n][i] * 1e3 for n in MODELS),
                        timing["step_seconds"]["rnn"][i]
                        / timing["step_seconds"]["self-attention"][i]]
                       for i, T in enumerate(lengths)])])


def _plot(ctx: RunContext, s: RNNSettings, curves: dict, timing: dict) -> None:
    from mllab.report import new_figure

    colors = {"rnn": "tab:orange", "self-attention": "tab:blue"}
    fig, ax = new_figure(size=(7, 3.8))
    for name in MODELS:
        cols = list(zip(*curves[name], strict=True))
        mean = [sum(v for v in c if v is not None) / max(1, sum(v is not None for v in c))
                for c in cols]
        ax.plot(range(len(mean)), mean, color=colors[name], lw=2, label=LABELS[name])
    ax.axhline(1 / s.classes, color="gray", ls=":", lw=1, label=f"chance 1/K = {1 / s.classes:g}")
    ax.set(xlabel="distance |t − p| from the cue", ylabel="test accuracy", ylim=(0, 1.05),
           title="Accuracy by distance: GRU vs self-attention")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "accuracy_by_distance", f"(a) Test accuracy by distance from the cue "
                    f"(mean over {s.repeats} repeats)")
    fig, ax = new_figure(size=(7, 3.8))
    lengths = timing["lengths"]
    for name in MODELS:
        for i, T in enumerate(lengths):
            ax.scatter([T] * len(timing["round_seconds"][name][i]),
                       [t * 1e3 for t in timing["round_seconds"][name][i]], s=8,
                       color=colors[name], alpha=0.5)
        ax.plot(lengths, [t * 1e3 for t in timing["step_seconds"][name]], color=colors[name],
                lw=2, label=LABELS[name])
    ax.set(xscale="log", yscale="log", xlabel="sequence length T", ylabel="ms per training step",
           title="Wall time of a training step (one thread)")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "step_time", "(b) Wall time of one training step against T (dots: "
                    "rounds, line: median); wall clock on this machine")
