r"""``exposure-bias``: a decoder trained only with teacher forcing has never seen its own
mistakes, so at test time its errors compound along the output; scheduled sampling
(Bengio et al., arXiv:1506.03099) reduces this.

The task is SYNTHETIC (seeded): *linear congruential sequences*. The source is three tokens
:math:`(y_1, a, c)` drawn uniformly from :math:`\{0, \dots, K-1\}`; the target is
:math:`y_1, \dots, y_L` with

.. math:: y_t = (a\, y_{t-1} + c) \bmod K,

so every output token depends on the previous output token. The model is the RNN baseline
(:class:`mllab.seq2seq.RNNSeq2Seq`, a GRU without attention: the encoder's final state holds
the three source tokens), trained with Adam on the same batches from the same initial weights
in each repeat, once with teacher forcing and once with scheduled sampling: each decoder input
the gold token with probability :math:`\epsilon_i`, else a token *sampled* from the model's
previous output distribution (the paper's choice), :math:`\epsilon_i` the paper's inverse
sigmoid decay :math:`k/(k + \exp(i/k))` with :math:`k` chosen, before any run, so that
:math:`\epsilon_i = 1/2` at half the training steps (:math:`k \ln k = \text{steps}/2`).

Both models are scored on the test split by free-running greedy decoding (each input the
model's own previous output, as at test time) and on gold prefixes (teacher-forced inputs);
per output position :math:`t`, the error rate is the share of test sequences whose
:math:`t`-th token is wrong. *Exposure bias* is the gap between the two: errors the model
makes only because it reads its own outputs. "After the first error" is the share of wrong
tokens among the positions that follow each sequence's first error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require
from mllab.decoding import greedy_decode
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.transformer import LECTURE
from mllab.seq2seq import InverseSigmoidDecay, RNNSeq2Seq, RNNSeq2SeqConfig
from mllab.seq2seq.scheduled_sampling import scheduled_sampling_logits
from mllab.train import LoopConfig
from mllab.train.state import LoopState, transient

METHODS = ("teacher-forcing", "scheduled-sampling")


@dataclass
class ExposureSettings(Settings):
    K: int = 7
    """Vocabulary of the sequences: tokens 0 .. K-1, K prime so that y -> a y + c mixes (>= 2)."""
    length: int = 10
    """Output length L (>= 3): long enough for errors to compound."""
    train_size: int = 4000
    """SYNTHETIC training sequences (>= 1)."""
    test_size: int = 1000
    """SYNTHETIC test sequences (>= 1)."""
    hidden: int = 32
    """Hidden size of the GRU encoder and decoder (>= 1)."""
    embedding: int = 16
    """Token embedding size (>= 1)."""
    steps: int = 600
    """Adam updates per model, the same for both methods (>= 1)."""
    batch_size: int = 64
    """Sequences per update (>= 1)."""
    lr: float = 1e-2
    """Adam's learning rate (> 0)."""
    clip: float = 1.0
    """Gradient-norm clipping, as usual for RNNs (> 0)."""
    repeats: int = 5
    """Independent repeats: data, initial weights (shared by both methods), batch order."""
    margin: float = 0.02
    """Noise allowance on error-rate differences (>= 0): two percentage points."""
    learned_error: float = 0.5
    """Precondition: each model's error on gold prefixes at most this (chance is 1 - 1/K)."""

    def validate(self) -> None:
        require(self.K >= 2, "K", ">= 2", self.K)
        require(self.length >= 3, "length", ">= 3", self.length)
        for name in ("train_size", "test_size", "hidden", "embedding", "steps", "batch_size",
                     "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.clip > 0, "clip", "> 0", self.clip)
        require(self.margin >= 0, "margin", ">= 0", self.margin)
        require(0 < self.learned_error < 1, "learned_error", "in (0, 1)", self.learned_error)

    @classmethod
    def quick(cls) -> ExposureSettings:
        return cls(length=6, train_size=500, test_size=200, steps=60, repeats=2)


def schedule_k(steps: int) -> float:
    r"""The inverse-sigmoid :math:`k \ge 1` with :math:`\epsilon = 1/2` at half the steps:
    the root of :math:`k \ln k = \text{steps} / 2` (bisection), or 1 when steps <= 2."""
    target = steps / 2
    lo, hi = 1.0, max(2.0, target)
    if target <= 0:
        return 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mid * math.log(mid) < target else (lo, mid)
    return (lo + hi) / 2


def lcg_sequences(n: int, K: int, L: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    r"""SYNTHETIC sources ``(n, 3)`` = :math:`(y_1, a, c)` and targets ``(n, L)`` with
    :math:`y_t = (a y_{t-1} + c) \bmod K`."""
    src = torch.randint(0, K, (n, 3), generator=generator)  # (n, 3)
    y = [src[:, 0]]
    for _ in range(L - 1):
        y.append((src[:, 1] * y[-1] + src[:, 2]) % K)  # y_t = (a y_{t-1} + c) mod K
    return src, torch.stack(y, dim=1)  # (n, L)


def position_errors(pred: Tensor, gold: Tensor) -> list[float]:
    r"""Error rate per output position: the share of rows whose token ``t`` is wrong."""
    return (pred != gold).double().mean(0).tolist()


def after_first_error(pred: Tensor, gold: Tensor) -> float:
    r"""Wrong tokens among the positions after each row's first error (pooled); 0 when no row
    has an error before its last position."""
    wrong = pred != gold  # (n, L)
    L = wrong.shape[1]
    first = torch.where(wrong.any(1), wrong.int().argmax(1), L)  # (n,) first wrong position
    after = torch.arange(L)[None, :] > first[:, None]  # (n, L)
    return float(wrong[after].double().mean()) if after.any() else 0.0


def half_gap(free: list[float], gold: list[float]) -> float:
    r"""How much the exposure-bias gap (free-running minus gold-prefix error) grows along the
    output: its mean over the second half of the positions minus over the first half."""
    gap = [f - g for f, g in zip(free, gold, strict=True)]
    h = len(gap) // 2
    return sum(gap[h:]) / len(gap[h:]) - sum(gap[:h]) / h


@dataclass(kw_only=True)
class Seq2SeqState(LoopState):
    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: torch.Generator
    coins: torch.Generator
    src: Tensor = transient()
    tgt: Tensor = transient()


def _training_step(method: str, s: ExposureSettings, decay: InverseSigmoidDecay, bos: int):
    def step(st: Seq2SeqState) -> dict:
        idx = torch.randint(0, len(st.src), (s.batch_size,), generator=st.batches)
        src, y = st.src[idx], st.tgt[idx]  # (B, 3), (B, L)
        tgt_in = torch.cat([torch.full_like(y[:, :1], bos), y[:, :-1]], 1)  # (B, L)
        epsilon = 1.0 if method == "teacher-forcing" else decay(st.step)
        if method == "teacher-forcing":
            logits = st.model(src, tgt_in)  # (B, L, V)
        else:
            step_fn, state = st.model.step_function(src)
            logits, _ = scheduled_sampling_logits(step_fn, tgt_in, epsilon, st.coins,
                                                  init_state=state, feed="sample")
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        st.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(st.model.parameters(), s.clip)
        st.optimizer.step()
        return {"train_loss": loss.item(), "epsilon": epsilon}

    return step


@torch.no_grad()
def _evaluate(model: RNNSeq2Seq, src: Tensor, y: Tensor, bos: int) -> dict:
    r"""Free-running greedy and gold-prefix errors of ``model`` on the test split."""
    model.eval()
    L = y.shape[1]
    tgt_in = torch.cat([torch.full_like(y[:, :1], bos), y[:, :-1]], 1)  # (n, L)
    gold_pred = model(src, tgt_in).argmax(-1)  # (n, L)
    step_fn, state = model.step_function(src)
    # BOS as EOS: never a target, so decoding runs all L positions (a BOS output is an error)
    free = greedy_decode(step_fn, bos, bos, L, len(src), init_state=state).tokens  # (n, <= L)
    free = F.pad(free, (0, L - free.shape[1]), value=bos)  # (n, L)
    return {"free": position_errors(free, y), "gold": position_errors(gold_pred, y),
            "after_first": after_first_error(free, y),
            "sequence_accuracy": float((free == y).all(1).double().mean())}


def judge_exposure(m: dict, s: ExposureSettings) -> Evidence:
    runs = m["runs"]
    tf, ss = runs["teacher-forcing"], runs["scheduled-sampling"]

    def mean(v: list[float]) -> float:
        return sum(v) / len(v)

    def over(name: str, key: str) -> list[float]:
        return [mean(r[key]) for r in runs[name]]

    gold_worst = max(mean(r["gold"]) for name in METHODS for r in runs[name])
    demo = m["identities"]
    reason = (f"two percentage points of error rate (margin {s.margin:g}): smaller differences "
              "are too small to matter for the lecture's claim")
    return Evidence(
        checks=[
            Check("under teacher forcing, errors compound along the output",
                  "teacher-forced model: exposure-bias gap (free-running minus gold-prefix "
                  "error rate), second half of the positions minus first half",
                  [half_gap(r["free"], r["gold"]) for r in tf], margin=s.margin, reason=reason),
            Check("scheduled sampling reduces the test-time errors",
                  "free-running error rate over all positions, teacher forcing minus "
                  "scheduled sampling", paired(over("teacher-forcing", "free"),
                                               over("scheduled-sampling", "free")),
                  margin=s.margin, reason=reason),
            Check("scheduled sampling reduces errors after the first error",
                  "error rate after each sequence's first error (free-running), teacher "
                  "forcing minus scheduled sampling",
                  paired([r["after_first"] for r in tf], [r["after_first"] for r in ss]),
                  margin=s.margin, reason=reason)],
        preconditions=[Precondition(
            f"every model learned the rule on gold prefixes (error <= {s.learned_error:g}; "
            f"chance {1 - 1 / s.K:.3f})", f"worst gold-prefix error rate {gold_worst:.3f}",
            gold_worst <= s.learned_error)],
        demonstrations=[Demonstration(
            "scheduled sampling with ε = 1 is teacher forcing, and with ε = 0 and argmax "
            "feeding it is free-running greedy decoding",
            f"max |logits(ε = 1) − logits(teacher forcing)| = {demo['eps1_max_abs']:.2e}; "
            f"ε = 0 inputs equal greedy decoding: {demo['eps0_is_greedy']}")],
        notes=[f"scheduled sampling: inverse sigmoid k = {m['k']:.2f}, ε from "
               f"{m['epsilon'][0]:.3f} to {m['epsilon'][-1]:.3f}"])


@experiment(name="exposure-bias", lecture=LECTURE, judge=judge_exposure,
            claim="A decoder trained only with teacher forcing has never seen its own mistakes, "
                  "so at test time its errors compound along the output; scheduled sampling "
                  "reduces this.")
def exposure_bias(s: ExposureSettings, ctx: RunContext) -> Result:
    bos = s.K  # target tokens 0 .. K-1, then BOS
    k = schedule_k(s.steps)
    decay = InverseSigmoidDecay(k)
    runs: dict[str, list[dict]] = {name: [] for name in METHODS}
    identities = {"eps1_max_abs": 0.0, "eps0_is_greedy": True}
    ctx.plan(trials=s.repeats * len(METHODS))
    for r in range(s.repeats):
        g = ctx.generator(f"data/r{r}")
        src, y = lcg_sequences(s.train_size, s.K, s.length, g)
        test_src, test_y = lcg_sequences(s.test_size, s.K, s.length, g)
        for name in METHODS:
            with ctx.trial(f"{name}-r{r}") as t:
                torch.manual_seed(ctx.seed_for(f"init/r{r}"))  # the same weights for both
                model = RNNSeq2Seq(RNNSeq2SeqConfig(s.K, s.K + 1, embedding=s.embedding,
                                                    hidden=s.hidden, cell="gru"))
                state = Seq2SeqState(model=model,
                                     optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                                     batches=ctx.generator(f"batches/r{r}"),
                                     coins=ctx.generator(f"coins/r{r}"), src=src, tgt=y)
                t.run(_training_step(name, s, decay, bos), state, LoopConfig(steps=s.steps),
                      fingerprint=s.to_dict())
            runs[name].append(_evaluate(model, test_src, test_y, bos))
            _identities(model, test_src[:64], test_y[:64], bos, identities)
    epsilon = [decay(i) for i in range(s.steps)]
    _plot_errors(ctx, runs, s)
    _plot_schedule(ctx, epsilon, k)
    return Result(metrics={"runs": runs, "k": k, "epsilon": [epsilon[0], epsilon[-1]],
                           "identities": identities}, tables=_tables(runs, s))


@torch.no_grad()
def _identities(model: RNNSeq2Seq, src: Tensor, y: Tensor, bos: int, out: dict) -> None:
    tgt_in = torch.cat([torch.full_like(y[:, :1], bos), y[:, :-1]], 1)  # (n, L)
    step_fn, state = model.step_function(src)
    logits, _ = scheduled_sampling_logits(step_fn, tgt_in, 1.0, torch.Generator(),
                                          init_state=state)
    out["eps1_max_abs"] = max(out["eps1_max_abs"],
                              float((logits - model(src, tgt_in)).abs().max()))
    step_fn, state = model.step_function(src)
    _, inputs = scheduled_sampling_logits(step_fn, tgt_in, 0.0, torch.Generator(),
                                          init_state=state, feed="argmax")
    step_fn, state = model.step_function(src)
    greedy = greedy_decode(step_fn, bos, bos, y.shape[1] - 1, len(src), init_state=state)
    T = greedy.tokens.shape[1]
    decoded = torch.arange(T)[None, :] < greedy.lengths[:, None]  # (n, T): up to EOS
    same = inputs[:, 1:1 + T][decoded] == greedy.tokens[decoded]
    out["eps0_is_greedy"] &= bool(same.all())


def _mean_over_repeats(rows: list[dict], key: str) -> list[float]:
    return [sum(v) / len(v) for v in zip(*(r[key] for r in rows), strict=True)]


def _tables(runs: dict, s: ExposureSettings) -> list[dict]:
    summary = []
    for name in METHODS:
        rs = runs[name]
        free, gold = _mean_over_repeats(rs, "free"), _mean_over_repeats(rs, "gold")
        summary.append([name, sum(free) / len(free), sum(gold) / len(gold),
                        sum(r["after_first"] for r in rs) / len(rs),
                        sum(r["sequence_accuracy"] for r in rs) / len(rs)])
    positions = [[t + 1] + [_mean_over_repeats(runs[n], key)[t] for n in METHODS
                            for key in ("free", "gold")] for t in range(s.length)]
    return [table("Test errors (mean over repeats)",
                  ["method", "free-running error", "gold-prefix error", "error after the "
                   "first error", "sequences all right"], summary),
            table("Error rate by output position (mean over repeats)",
                  ["position", "TF free-running", "TF gold prefix", "SS free-running",
                   "SS gold prefix"], positions)]


def _plot_errors(ctx: RunContext, runs: dict, s: ExposureSettings) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    t = list(range(1, s.length + 1))
    for name, color in zip(METHODS, ("tab:red", "tab:blue"), strict=True):
        for r in runs[name]:
            ax.plot(t, r["free"], color=color, alpha=0.25, lw=0.8)
        ax.plot(t, _mean_over_repeats(runs[name], "free"), color=color, lw=2,
                label=f"{name}, free-running")
        ax.plot(t, _mean_over_repeats(runs[name], "gold"), color=color, lw=1.5, ls="--",
                label=f"{name}, gold prefix")
    ax.set(xlabel="output position t", ylabel="error rate",
           title="SYNTHETIC y_t = (a y_{t-1} + c) mod K: test errors by position")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "errors_by_position", "Test error rate by output position: free-"
                    "running greedy decoding (solid; thin lines are repeats) and gold prefixes "
                    "(dashed), for teacher forcing and scheduled sampling")


def _plot_schedule(ctx: RunContext, epsilon: list[float], k: float) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 3.2))
    ax.plot(range(len(epsilon)), epsilon, color="tab:blue")
    ax.set(xlabel="training step i", ylabel="ε_i", ylim=(0, 1.02),
           title=f"Inverse sigmoid decay, k = {k:.1f}")
    ctx.save_figure(fig, "epsilon_schedule", "Scheduled sampling's ε_i = k / (k + exp(i/k)): "
                    "the probability of feeding the gold token at training step i")
