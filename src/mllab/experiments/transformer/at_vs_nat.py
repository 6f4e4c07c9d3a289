r"""``at-vs-nat``: autoregressive (AT) vs non-autoregressive (NAT) decoding, the Transformer
lecture (Gu et al., arXiv:1711.02281).

(a) **Time.** AT greedy decoding (:meth:`mllab.transformer.Transformer.step_function`, key/value
cache) makes :math:`T` sequential steps, :func:`mllab.decoding.nat_decode` one parallel pass.
Both decode ``timing_batch`` sources into each of ``timing_lengths`` tokens, on untrained models
of the experiment's sizes (the AT model never picks END, so it makes exactly :math:`T` steps),
in ``timing_rounds`` rounds after a warm-up round, the order flipped every round. Wall clock:
it differs between runs and machines, unlike everything else here.

(b) **Multi-modality.** SYNTHETIC pairs with TWO valid translations per source, one drawn per
pair (:mod:`mllab.data.two_translations`). AT reads its own first word and continues in that
translation; the NAT's positions are independent given :math:`x` and :math:`T`, so its argmax
may mix them. Test outputs are *exact* (one valid translation), *mixed* or *other*; the NAT is
decoded at the true length here, so that a wrong length (c) does not count as a mix. A NAT
trained on a single translation of the same sources is the control: that it is exact is the
precondition that (b) measures multi-modality, not an untrained NAT.

(c) **Length.** The NAT's output length is the argmax of its length classifier (lengths
``1 .. max_len`` from the mean-pooled memory): its test accuracy is judged; that the outputs
have exactly the predicted (or given) length is a demonstration.

Each repeat draws its own data and initialisations; AT and NAT of a repeat share the data
(paired). Adam, ``steps`` mini-batches drawn with replacement; the NAT with the true lengths
and :func:`mllab.transformer.nat_loss`, the AT with teacher forcing.

Differences from the paper: no knowledge distillation from an AT teacher (§3.2, the paper's
remedy for multi-modality, left out so that the problem shows); a length classifier instead of
fertilities; greedy AT decoding (no beam).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require
from mllab.data.two_translations import (
    OUTPUT_CLASSES,
    classify_outputs,
    translations,
    two_translation_pairs,
)
from mllab.decoding import greedy_decode, nat_decode, time_at_and_nat
from mllab.experiments.base import Result, Settings, experiment
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.transformer import LECTURE
from mllab.experiments.transformer.plots import at_vs_nat_tables, plot_decode_time, plot_outcomes
from mllab.metrics import mean_and_spread
from mllab.train import LoopConfig, LoopState
from mllab.train.state import transient
from mllab.transformer import (
    NATConfig,
    NonAutoregressiveTransformer,
    Transformer,
    TransformerConfig,
    nat_loss,
)

PAD, BOS, EOS = 0, 1, 2
r"""Target specials; source id 0 is padding, source words are ``1 .. vocab``."""


@dataclass
class AtVsNatSettings(Settings):
    vocab: int = 10
    """Source words K; each has two target words a(v), b(v) (>= 2)."""
    min_len: int = 4
    """Shortest source and target (>= 2: one word cannot mix two translations)."""
    max_len: int = 8
    """Longest source (and target) (>= min_len)."""
    train_size: int = 2000
    """Training pairs per repeat (>= 1)."""
    test_size: int = 500
    """Test sources per repeat (>= 1)."""
    d_model: int = 32
    """Size of token vectors of both models (a multiple of num_heads)."""
    num_heads: int = 2
    """Attention heads (>= 1)."""
    d_ff: int = 64
    """Feed-forward hidden size (>= 1)."""
    layers: int = 1
    """Encoder blocks and decoder blocks of each model (>= 1)."""
    positional: str = "learned"
    """Positional encoding of both models: learned, so that the mean-pooled memory carries the
    source length (a pilot on a copy task: learned within 200 steps, sinusoidal not)."""
    steps: int = 400
    """Adam steps of each model (>= 1)."""
    batch_size: int = 64
    """Mini-batch size (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: data and every initialisation (>= 1)."""
    exact_margin: float = 0.2
    """Margin on the differences of fractions of outputs (b), in [0, 1): the claim is a large
    effect (a NAT mixing most outputs), so a gap under a fifth of the sources does not count."""
    length_accuracy: float = 0.9
    """Length accuracy the predictor must exceed (c), in (0, 1]: 9 sources in 10."""
    control_exact: float = 0.8
    """Exact outputs the NAT must reach on the single-translation control, and outputs that
    translate word by word (exact or mixed) AT and NAT must reach (trained), in (0, 1]."""
    timing_lengths: tuple[int, ...] = (8, 16, 32, 64)
    """Output lengths T that are timed, increasing (each >= 1)."""
    timing_batch: int = 32
    """Sources decoded together in each timed call (>= 1)."""
    timing_rounds: int = 5
    """Timed rounds after one warm-up round (>= 2)."""
    timing_tolerance: float = 0.1
    """Timing noise allowance (>= 0): times within this fraction count as equal; repeated
    timings on this shared 2-core machine differ by 3–10% (the benchmarks' A/A pairs)."""

    def validate(self) -> None:
        for name, least in (("vocab", 2), ("min_len", 2), ("train_size", 1), ("test_size", 1),
                            ("num_heads", 1), ("d_ff", 1), ("layers", 1), ("steps", 1),
                            ("batch_size", 1), ("repeats", 1), ("timing_batch", 1),
                            ("timing_rounds", 2)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.max_len >= self.min_len, "max_len", f">= min_len = {self.min_len}",
                self.max_len)
        require(self.d_model >= 1 and self.d_model % self.num_heads == 0, "d_model",
                "a positive multiple of num_heads", self.d_model)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.positional in ("sinusoidal", "learned"), "positional",
                "'sinusoidal' or 'learned'", self.positional)
        require(0 <= self.exact_margin < 1, "exact_margin", "in [0, 1)", self.exact_margin)
        for name in ("length_accuracy", "control_exact"):
            require(0 < getattr(self, name) <= 1, name, "in (0, 1]", getattr(self, name))
        lengths = list(self.timing_lengths)
        require(len(lengths) >= 2 and min(lengths) >= 1 and lengths == sorted(set(lengths)),
                "timing_lengths", "two or more increasing integers >= 1", self.timing_lengths)
        require(self.timing_tolerance >= 0, "timing_tolerance", ">= 0", self.timing_tolerance)

    @classmethod
    def quick(cls) -> AtVsNatSettings:
        return cls(steps=60, train_size=300, test_size=100, repeats=2, timing_rounds=2,
                   timing_lengths=(8, 32))


def _at_model(s: AtVsNatSettings, max_len: int) -> Transformer:
    return Transformer(TransformerConfig(
        src_vocab=s.vocab + 1, tgt_vocab=2 * s.vocab + 3, d_model=s.d_model,
        num_heads=s.num_heads, d_ff=s.d_ff, num_encoder_layers=s.layers,
        num_decoder_layers=s.layers, max_len=max_len + 1, positional=s.positional))


def _nat_model(s: AtVsNatSettings, max_len: int) -> NonAutoregressiveTransformer:
    return NonAutoregressiveTransformer(NATConfig(
        src_vocab=s.vocab + 1, tgt_vocab=2 * s.vocab + 3, d_model=s.d_model,
        num_heads=s.num_heads, d_ff=s.d_ff, num_encoder_layers=s.layers,
        num_decoder_layers=s.layers, max_len=max_len, positional=s.positional))


def at_loss(model: Transformer, src: Tensor, S: Tensor, tgt: Tensor) -> Tensor:
    r"""Teacher forcing: the decoder reads BEGIN, :math:`y_1 \dots y_T` and predicts
    :math:`y_1 \dots y_T`, END; mean cross-entropy over the real positions."""
    B = len(tgt)
    end = torch.cat([tgt, torch.zeros(B, 1, dtype=tgt.dtype)], 1)  # (B, T + 1)
    target = end.scatter(1, S[:, None], EOS)  # END at each length
    tgt_in = torch.cat([torch.full((B, 1), BOS), target[:, :-1]], 1)  # (B, T + 1)
    tgt_in = tgt_in.masked_fill(tgt_in == EOS, PAD)
    logits = model(src, tgt_in, S)  # (B, T + 1, V)
    return F.cross_entropy(logits.transpose(1, 2), target, ignore_index=PAD)


@dataclass
class _TrainState(LoopState):
    model: nn.Module | None = None
    optimizer: torch.optim.Optimizer | None = None
    batches: torch.Generator | None = None
    data: dict | None = transient()
    kind: str = transient("nat")


def _train_step(state: _TrainState) -> dict | None:
    d = state.data
    i = torch.randint(len(d["src"]), (d["batch_size"],), generator=state.batches)
    S = d["lengths"][i]
    src, tgt = d["src"][i, : int(S.max())], d["tgt"][i, : int(S.max())]
    if state.kind == "at":
        loss = at_loss(state.model, src, S, tgt)
    else:
        logits, length_logits = state.model(src, S, S)
        loss = nat_loss(logits, tgt, S, length_logits)
    state.optimizer.zero_grad()
    loss.backward()
    state.optimizer.step()
    return {"loss": loss.item()} if state.step % 20 == 0 else None


def _train(ctx: RunContext, s: AtVsNatSettings, name: str, kind: str, data: dict,
           test: dict) -> dict:
    r"""Train one model in its own trial and record its test outputs' classes."""
    with ctx.trial(name) as t:
        model = _at_model(s, s.max_len) if kind == "at" else _nat_model(s, s.max_len)
        state = _TrainState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                            batches=ctx.generator(f"{name}/batches"),
                            data={**data, "batch_size": s.batch_size}, kind=kind)
        t.run(_train_step, state, LoopConfig(steps=s.steps), fingerprint=s.to_dict())
        model.eval()
        return t.record("evaluation", lambda: _evaluate(s, kind, model, test))


def _outputs(s: AtVsNatSettings, kind: str, model: nn.Module, test: dict) -> tuple[list, dict]:
    r"""The test outputs (b) classifies (the NAT's at the TRUE length) and, for the NAT, the
    length measurements (c) and its exact outputs at the predicted length (information)."""
    src, S = test["src"], test["lengths"]
    with torch.no_grad():
        if kind == "at":
            step_fn, state = model.step_function(src, S)
            out = greedy_decode(step_fn, BOS, EOS, s.max_len + 1, len(src), init_state=state,
                                pad=PAD)
            rows = [y[: n - 1] if n > 0 and y[n - 1] == EOS else y[:n]
                    for y, n in zip(out.tokens.tolist(), out.lengths.tolist(), strict=True)]
            return rows, {}
        argmax_length = model.predict_length(model.encode(src, S), S).argmax(-1) + 1
        out = nat_decode(model, src, S, pad=PAD)
        given = nat_decode(model, src, S, length=S, pad=PAD)
        extra = {"length_accuracy": (out.lengths == S).double().mean().item(),
                 "predicted_length_kept": _kept(out, argmax_length),
                 "given_length_kept": _kept(given, S),
                 "exact_at_predicted_length":
                     classify_outputs(_rows(out), src, s.vocab).count("exact") / len(src)}
        return _rows(given), extra


def _rows(out) -> list[list[int]]:
    return [y[:n] for y, n in zip(out.tokens.tolist(), out.lengths.tolist(), strict=True)]


def _kept(out, lengths: Tensor) -> float:
    r"""Fraction of outputs of exactly ``lengths`` tokens (and only padding after them)."""
    after = torch.arange(out.tokens.shape[1])[None, :] >= lengths[:, None]  # (B, T)
    ok = (out.lengths == lengths) & ((out.tokens == PAD) | ~after).all(1)
    return ok.double().mean().item()


def _evaluate(s: AtVsNatSettings, kind: str, model: nn.Module, test: dict) -> dict:
    rows, extra = _outputs(s, kind, model, test)
    kinds = classify_outputs(rows, test["src"], s.vocab)
    n = len(kinds)
    return {**{k: kinds.count(k) / n for k in OUTPUT_CLASSES}, **extra,
            "examples": [[x, y] for x, y in zip(test["src"][:4].tolist(), rows[:4],
                                                strict=True)]}


def time_decoders(s: AtVsNatSettings, g: torch.Generator) -> dict:
    r""":func:`mllab.decoding.time_at_and_nat` on untrained models of the experiment's sizes
    (time does not depend on the weights); the AT model never picks END (its output row is
    zero, its bias very negative), so each AT decode makes exactly T steps."""
    L = max(s.timing_lengths)
    at, nat = _at_model(s, L).eval(), _nat_model(s, L).eval()
    with torch.no_grad():
        at.output.weight[EOS] = 0.0
        at.output.bias[EOS] = -1e4
    sources = {T: torch.randint(1, s.vocab + 1, (s.timing_batch, T), generator=g)
               for T in s.timing_lengths}
    return time_at_and_nat(at, nat, sources, bos=BOS, eos=EOS, rounds=s.timing_rounds)


def judge_at_vs_nat(m: dict, s: AtVsNatSettings) -> Evidence:
    timing, runs = m["timing"], m["runs"]
    lengths, at_t, nat_t = timing["lengths"], timing["at_seconds"], timing["nat_seconds"]
    lo, hi = lengths[0], lengths[-1]
    tol = math.log(1 + s.timing_tolerance)
    reason_t = f"{s.timing_tolerance:.0%} is this machine's timing noise (timing_tolerance)"
    at, nat, control = runs["at"], runs["nat"], runs["nat_control"]

    def of(key: str, rs: list[dict]) -> list[float]:
        return [r[key] for r in rs]

    checks = [
        Check(f"NAT decodes T = {hi} tokens faster than AT (one parallel pass vs {hi} "
              f"sequential steps)", f"log(AT time / NAT time) at T = {hi}, per timing round "
              f"(wall clock on this machine)",
              [math.log(a / n) for a, n in zip(at_t[-1], nat_t[-1], strict=True)],
              margin=tol, reason=reason_t),
        Check(f"AT's decode time grows with T more than NAT's (T steps vs one pass), T = {lo} "
              f"to {hi}", f"log of AT's time ratio T={hi}/T={lo} minus log of NAT's, per "
              f"timing round (wall clock on this machine)",
              [math.log(a1 / a0) - math.log(n1 / n0) for a0, a1, n0, n1 in
               zip(at_t[0], at_t[-1], nat_t[0], nat_t[-1], strict=True)],
              margin=tol, reason=reason_t),
        Check("with two valid translations AT outputs exactly one of them more often than NAT",
              "fraction of test outputs that are exactly one valid translation, AT minus NAT",
              paired(of("exact", at), of("exact", nat)), margin=s.exact_margin,
              reason="the claim is a large effect (exact_margin)"),
        Check("NAT mixes the two translations (tokens of both in one output), AT does not",
              "fraction of test outputs that mix the two translations, NAT minus AT",
              paired(of("mixed", nat), of("mixed", at)), margin=s.exact_margin,
              reason="the claim is a large effect (exact_margin)"),
        Check("the length predictor controls the NAT's output length",
              "fraction of test sources whose predicted length is the true length",
              of("length_accuracy", nat), margin=0.0, threshold=s.length_accuracy,
              reason=f"the predictor controls the length when it is right for "
                     f"{s.length_accuracy:.0%} of the sources or more (length_accuracy)"),
    ]
    word = {n: min(r["exact"] + r["mixed"] for r in rs) for n, rs in (("AT", at), ("NAT", nat))}
    lowest, c = min(of("exact", control)), f"{s.control_exact:.0%} of the test sources"
    return Evidence(
        checks=checks,
        preconditions=[Precondition(f"the NAT trained on one translation outputs it exactly for "
                                    f"{c} (control_exact)", f"lowest {lowest:.3f}",
                                    lowest >= s.control_exact),
                       *(Precondition(f"{n} translates word by word (exact or mixed) for {c}: "
                                      f"it is trained", f"lowest {v:.3f}", v >= s.control_exact)
                         for n, v in word.items())],
        demonstrations=[Demonstration(
            "a NAT output has exactly the predicted (or given) length: no END to wait for",
            "fraction of outputs of the predicted length per repeat: "
            + ", ".join(f"{v:.3f}" for v in of("predicted_length_kept", nat))
            + "; of the given (true) length: "
            + ", ".join(f"{v:.3f}" for v in of("given_length_kept", nat)))],
        notes=["times are wall clock on this machine: they vary between machines and runs, "
               "unlike every other number here; medians " + ", ".join(
                   f"T={T}: AT {a * 1e3:.3g} ms, NAT {n * 1e3:.3g} ms" for T, a, n in
                   zip(lengths, timing["at_median"], timing["nat_median"], strict=True))])


@experiment(name="at-vs-nat", lecture=LECTURE, judge=judge_at_vs_nat,
            claim="A non-autoregressive decoder (NAT) outputs every token in one parallel pass "
                  "where an autoregressive one (AT) needs T sequential steps, and its output "
                  "length is under the control of a length predictor; but when a source has "
                  "several valid outputs NAT mixes them (the multi-modality problem) while AT "
                  "commits to one.")
def at_vs_nat(s: AtVsNatSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=1 + 3 * s.repeats)
    with ctx.trial("timing") as t:
        timing = t.record("seconds", lambda: time_decoders(s, ctx.generator("timing")))
    runs: dict[str, list[dict]] = {"at": [], "nat": [], "nat_control": []}
    for r in range(s.repeats):
        g = ctx.generator(f"data/r{r}")
        two = two_translation_pairs(s.train_size, s.vocab, s.min_len, s.max_len, g)
        one = {**two, "tgt": translations(two["src"], s.vocab)[0]}  # the same sources, a only
        test = two_translation_pairs(s.test_size, s.vocab, s.min_len, s.max_len,
                                     ctx.generator(f"test/r{r}"))
        runs["at"].append(_train(ctx, s, f"at-r{r}", "at", two, test))
        runs["nat"].append(_train(ctx, s, f"nat-r{r}", "nat", two, test))
        runs["nat_control"].append(_train(ctx, s, f"nat-control-r{r}", "nat", one, test))
    summary = {name: {k: mean_and_spread([run[k] for run in rs]) for k in OUTPUT_CLASSES}
               for name, rs in runs.items()}
    plot_decode_time(ctx, timing)
    plot_outcomes(ctx, runs)
    return Result(metrics={"timing": timing, "runs": runs, "summary": summary},
                  tables=at_vs_nat_tables(s, timing, runs, summary))
