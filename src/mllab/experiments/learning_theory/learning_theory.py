r"""Lecture "Why deep learning / learning theory": when is a small training loss trustworthy?

The lecture calls a training set :math:`\mathcal D_{train}` **bad** when some hypothesis
:math:`h` in the finite class :math:`\mathcal H` has a training loss far from its loss on
all the data,

.. math:: \exists h \in \mathcal H:\
    |L(h, \mathcal D_{train}) - L(h, \mathcal D_{all})| > \varepsilon,

and bounds how often that happens with Hoeffding's inequality and the union bound:

.. math:: P(\mathcal D_{train} \text{ is bad}) \le |\mathcal H| \cdot 2\exp(-2N\varepsilon^2).

So a larger :math:`N` and a smaller :math:`|\mathcal H|` make bad training sets rarer.
``learning-theory`` measures that probability by Monte Carlo on a SYNTHETIC 1-D task:
:math:`x \sim U(0, 1)`, the label is :math:`[x > t^*]` flipped with probability
:math:`\eta`, and :math:`\mathcal H` holds the threshold classifiers :math:`[x > t]` and
:math:`[x \le t]` for :math:`K` thresholds :math:`t_k = (k + \frac12)/K` (so
:math:`|\mathcal H| = 2K`). The loss is the 0-1 error, whose value on all the data is exact:

.. math:: L_{all}([x > t]) = \eta + (1 - 2\eta)\,|t - t^*|, \qquad
    L_{all}([x \le t]) = 1 - L_{all}([x > t]).

The measurement is repeated ``repeats`` times with fresh training sets; the checks compare
the smallest with the largest N at every |H|, and the largest with the smallest |H| at the
smallest N, over the repeats. That the measured probability stays under the bound is a
theorem: a demonstration.

Differences from the course: none in the bound. The two directions of a threshold have
mirror-image losses, so their deviations are equal: doubling :math:`|\mathcal H|` that way
doubles the bound but not the measured probability, one of the ways the union bound is loose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.learning_theory import LECTURE

TIE_TOLERANCE = 1e-12
"""Deviations within this of ε count as equal to ε (not bad), absorbing float rounding."""


# ----------------------------------------------------------------------------- pure helpers
def threshold_grid(k: int) -> Tensor:
    r"""The :math:`K` thresholds :math:`t_k = (k + \frac12)/K`, float64, shape (K,)."""
    return (torch.arange(k, dtype=torch.float64) + 0.5) / k


def population_losses(thresholds: Tensor, t_star: float, eta: float) -> Tensor:
    r"""Exact 0-1 losses on all the data of :math:`[x > t_k]` then :math:`[x \le t_k]`.

    .. math:: L_{all}([x > t]) = \eta + (1 - 2\eta)|t - t^*|

    Returns shape (2K,): the K "greater" classifiers, then the K "less or equal" ones.
    """
    greater = eta + (1 - 2 * eta) * (thresholds - t_star).abs()  # (K,)
    return torch.cat([greater, 1 - greater])  # (2K,)


def sample_training_sets(m: int, n: int, t_star: float, eta: float,
                         generator: torch.Generator) -> tuple[Tensor, Tensor]:
    r"""``m`` SYNTHETIC training sets of ``n`` points: :math:`x \sim U(0,1)`, label
    :math:`[x > t^*]` flipped with probability :math:`\eta`. Returns x (M, N) float64 and
    y (M, N) bool."""
    x = torch.rand(m, n, generator=generator, dtype=torch.float64)  # (M, N)
    flip = torch.rand(m, n, generator=generator, dtype=torch.float64) < eta  # (M, N)
    return x, (x > t_star) ^ flip


def threshold_train_losses(x: Tensor, y: Tensor, thresholds: Tensor) -> Tensor:
    r"""Training 0-1 loss of every threshold classifier on each of M training sets.

    For :math:`h = [x > t_k]` the errors are the positives at or left of :math:`t_k` plus the
    negatives right of it,

    .. math:: L(h, \mathcal D) = \tfrac1N\big(\#\{x_n \le t_k, y_n = 1\}
        + \#\{x_n > t_k, y_n = 0\}\big),

    counted for all :math:`k` at once by binning the points between consecutive thresholds
    and taking cumulative sums: :math:`O(M(N + K))`, never (M, N, K).

    Args:
        x: inputs, (M, N).
        y: labels, (M, N) bool.
        thresholds: increasing, (K,).

    Returns:
        (M, 2K): the losses of :math:`[x > t_k]`, then of :math:`[x \le t_k]`.
    """
    m, n = x.shape
    k = thresholds.numel()
    bins = torch.bucketize(x, thresholds)  # (M, N): #thresholds < x, so x <= t_j iff bin <= j
    ones = torch.zeros(m, k + 1, dtype=torch.float64).scatter_add_(1, bins, y.double())
    zeros = torch.zeros(m, k + 1, dtype=torch.float64).scatter_add_(1, bins, (~y).double())
    ones_left = ones.cumsum(1)[:, :k]  # (M, K): #{x <= t_k, y = 1}
    zeros_right = zeros.sum(1, keepdim=True) - zeros.cumsum(1)[:, :k]  # (M, K): #{x > t_k, y = 0}
    greater = (ones_left + zeros_right) / n  # (M, K)
    return torch.cat([greater, 1 - greater], dim=1)  # (M, 2K)


def bad_training_sets(train_losses: Tensor, all_losses: Tensor, eps: float) -> Tensor:
    r"""Which training sets are bad: :math:`\max_h |L_{train}(h) - L_{all}(h)| > \varepsilon`.

    Args:
        train_losses: (M, H), one row per training set.
        all_losses: (H,).
        eps: :math:`\varepsilon`.

    Returns:
        (M,) bool.
    """
    deviation = (train_losses - all_losses).abs().amax(dim=1)  # (M,)
    return deviation > eps + TIE_TOLERANCE


def union_bound(h_size: int, n: int, eps: float) -> float:
    r"""Hoeffding + union bound :math:`|\mathcal H| \cdot 2\exp(-2N\varepsilon^2)` (may be > 1)."""
    return h_size * 2 * math.exp(-2 * n * eps**2)


def bad_probability(n: int, ks: tuple[int, ...], s: LearningTheorySettings,
                    generator: torch.Generator) -> list[float]:
    r"""Monte Carlo estimate of P(bad) for training sets of size ``n``, one per K in ``ks``;
    all K see the same training sets, drawn in chunks of at most ``s.chunk`` points."""
    grids = [threshold_grid(k) for k in ks]
    l_all = [population_losses(t, s.t_star, s.eta) for t in grids]
    bad = [0] * len(ks)
    per_chunk = max(1, s.chunk // max(n, max(ks) + 1))  # (chunk, N) and (chunk, K+1) tensors
    for start in range(0, s.trials, per_chunk):
        x, y = sample_training_sets(min(per_chunk, s.trials - start), n, s.t_star, s.eta,
                                    generator)
        for i, (t, la) in enumerate(zip(grids, l_all, strict=True)):
            bad[i] += int(bad_training_sets(threshold_train_losses(x, y, t), la, s.eps).sum())
    return [b / s.trials for b in bad]


# ----------------------------------------------------------------------------- experiment
@dataclass
class LearningTheorySettings(Settings):
    sizes: tuple[int, ...] = (10, 20, 40, 80, 160, 320, 640)
    """Training-set sizes N, increasing, each >= 1."""
    thresholds: tuple[int, ...] = (1, 10, 100, 1000)
    """Numbers K of thresholds, increasing, each >= 1; |H| = 2K."""
    eps: float = 0.1
    """ε: how far a training loss may stray from the loss on all data, in (0, 1)."""
    eta: float = 0.1
    """Label-noise probability η, in [0, 0.5)."""
    t_star: float = 0.5
    """True threshold t*, in [0, 1]."""
    trials: int = 4000
    """Training sets sampled per N in each repeat (>= 100)."""
    repeats: int = 5
    """Independent Monte Carlo repeats, each with its own training sets (>= 1)."""
    chunk: int = 1_000_000
    """Most entries of one (training sets, N) or (training sets, K+1) tensor, bounding memory
    (>= 1)."""
    def validate(self) -> None:
        for name in ("sizes", "thresholds"):
            v = getattr(self, name)
            require(len(v) >= 2 and min(v) >= 1 and list(v) == sorted(set(v)), name,
                    "two or more increasing integers >= 1", v)
        require(0 < self.eps < 1, "eps", "in (0, 1)", self.eps)
        require(0 <= self.eta < 0.5, "eta", "in [0, 0.5)", self.eta)
        require(0 <= self.t_star <= 1, "t_star", "in [0, 1]", self.t_star)
        require(self.trials >= 100, "trials", ">= 100", self.trials)
        require(self.chunk >= 1, "chunk", ">= 1", self.chunk)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)

    @classmethod
    def quick(cls) -> LearningTheorySettings:
        return cls(sizes=(10, 20, 40, 80, 160, 320), trials=2000, repeats=2)


def judge_learning_theory(m: dict, s: LearningTheorySettings) -> Evidence:
    p, bound, sizes, hs = m["p_bad"], m["bound"], m["sizes"], m["h_sizes"]  # p[N][H][repeat]
    mean = [[sum(v) / len(v) for v in row] for row in p]
    checks = [Check(f"with |H| = {h}, bad training sets are rarer for N = {sizes[-1]} than for "
                    f"N = {sizes[0]}", f"P(bad) at N = {sizes[0]} minus at N = {sizes[-1]}, per "
                    f"Monte Carlo repeat of {s.trials} training sets",
                    paired(p[0][j], p[-1][j]), margin=0.0,
                    reason="the claim is a direction") for j, h in enumerate(hs)]
    checks.append(Check(f"at N = {sizes[0]}, a smaller |H| makes bad training sets rarer",
                        f"P(bad) with |H| = {hs[-1]} minus with |H| = {hs[0]}, per repeat",
                        paired(p[0][-1], p[0][0]), margin=0.0,
                        reason="the claim is a direction"))
    cells = [(mean[i][j], bound[i][j]) for i in range(len(sizes)) for j in range(len(hs))]
    below = sum(pm <= b for pm, b in cells)
    meaningful = [(pm, b) for pm, b in cells if b < 1]
    closest = max(meaningful, key=lambda c: c[0] / c[1]) if meaningful else (math.nan, math.nan)
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "Hoeffding's inequality and the union bound: P(bad) <= |H|·2exp(−2Nε²)",
        f"measured (mean over repeats) <= bound in {below} of {len(cells)} cells, "
        f"{len(meaningful)} with a bound < 1 (closest there: {closest[0]:.4f} vs "
        f"{closest[1]:.4f})")])


@experiment(name="learning-theory", lecture=LECTURE, judge=judge_learning_theory,
            claim="The probability that a training set is bad (some h in H has |L_train − "
                  "L_all| > ε) falls as N grows and as |H| shrinks, and never exceeds "
                  "|H|·2exp(−2Nε²).")
def learning_theory(s: LearningTheorySettings, ctx: RunContext) -> Result:
    h_sizes = [2 * k for k in s.thresholds]
    p_bad, bound = [], []  # p_bad[N][H][repeat]
    ctx.plan(trials=len(s.sizes) * s.repeats)
    for n in s.sizes:
        row = [[] for _ in h_sizes]
        for r in range(s.repeats):
            with ctx.trial(f"N={n}-r{r}") as t:
                estimate = t.record("p_bad", lambda n=n, r=r: bad_probability(
                    n, s.thresholds, s, ctx.generator(f"training-sets/N={n}/r{r}")))
            for j, pm in enumerate(estimate):
                row[j].append(pm)
        p_bad.append(row)
        bound.append([union_bound(h, n, s.eps) for h in h_sizes])
        for h, pms, b in zip(h_sizes, row, bound[-1], strict=True):
            ctx.log(trial=f"N={n}", n=n, h_size=h, p_bad=pms, bound=b)
    metrics = {"sizes": list(s.sizes), "h_sizes": h_sizes, "p_bad": p_bad, "bound": bound,
               "trials": s.trials * s.repeats}
    total = s.trials * s.repeats
    mean = [[sum(v) / len(v) for v in row] for row in p_bad]
    rows = [[n, h, pm, math.sqrt(pm * (1 - pm) / total), b, b < 1]
            for n, pr, br in zip(s.sizes, mean, bound, strict=True)
            for h, pm, b in zip(h_sizes, pr, br, strict=True)]
    _plot(ctx, {**metrics, "p_bad": mean})
    return Result(metrics=metrics, tables=[table(
        f"P(training set is bad), ε = {s.eps:g}, {s.repeats} × {s.trials} sampled training sets "
        "per N", ["N", "|H|", "measured P(bad), mean of repeats", "standard error",
                  "bound |H|·2exp(−2Nε²)", "bound < 1"], rows)])


def _plot(ctx: RunContext, m: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4.2))
    floor = 1 / m["trials"]
    for j, h in enumerate(m["h_sizes"]):
        p = [row[j] for row in m["p_bad"]]
        seen = [(n, v) for n, v in zip(m["sizes"], p, strict=True) if v > 0]  # log scale
        line, = axes[0].plot([n for n, _ in seen], [v for _, v in seen], "o-",
                             label=f"measured, |H| = {h}")
        axes[0].plot(m["sizes"], [row[j] for row in m["bound"]], "--", color=line.get_color(),
                     label=f"bound, |H| = {h}")
    axes[0].axhline(1, color="k", lw=0.8)
    axes[0].axhline(floor, color="0.6", ls=":", lw=1, label="1 / trials (zeros not drawn)")
    axes[0].set(xscale="log", yscale="log", ylim=(floor / 3, 30), xlabel="training-set size N",
                ylabel="P(training set is bad)", title="Measured vs Hoeffding + union bound")
    axes[0].set_xticks(m["sizes"], [str(n) for n in m["sizes"]])
    axes[0].legend(fontsize=7, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.16))
    for i, n in enumerate(m["sizes"]):
        axes[1].plot(m["h_sizes"], m["p_bad"][i], "o-", label=f"N = {n}")
    axes[1].set_xscale("log")
    axes[1].set_xticks(m["h_sizes"], [str(h) for h in m["h_sizes"]])
    axes[1].set(xlabel="|H| (threshold classifiers)", ylabel="measured P(bad)",
                title="Larger hypothesis sets: more chances to be fooled")
    axes[1].legend(fontsize=7)
    ctx.save_figure(fig, "bad_probability",
                    "Left: Monte Carlo probability that a training set is bad (solid, log scale;"
                    " zero estimates are not drawn) and the bound |H|·2exp(−2Nε²) (dashed; "
                    "above the black line at 1 it says nothing). Right: the measured "
                    "probability against |H| for each N.")
