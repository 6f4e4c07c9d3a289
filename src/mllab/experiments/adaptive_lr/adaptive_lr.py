r"""``adaptive-lr``: on a SYNTHETIC elongated convex surface
:math:`L = \frac12(\lambda_1 \theta_1^2 + \lambda_2 \theta_2^2)` (flat along :math:`\theta_1`,
steep along :math:`\theta_2`, as in the lecture's figure), fixed-η gradient descent oscillates
or crawls; Adagrad, RMSProp and Adam (:mod:`mllab.optim`) reach the minimum; Adagrad with a
constant η bursts once the gradient has become small, and learning-rate decay removes the
bursts.

Every method starts from the same random start in each of ``repeats`` repeats. Fixed-η
gradient descent is a closed form here (each axis is multiplied by :math:`1 - \eta\lambda_i`
per update), so it is a demonstration; the checks are that the adaptive methods come within
``tol`` of the minimum, that the constant-η Adagrad bursts, and that every decay schedule the
experiment runs (the course's η/√(t+1), built into :class:`mllab.optim.Adagrad` and as
:class:`mllab.optim.InverseSqrtDecay`; exponential decay; two warm-up schedules) removes the
burst.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor

from mllab.analysis import elongated_bowl
from mllab.config import require
from mllab.experiments.adaptive_lr import LECTURE
from mllab.experiments.adaptive_lr.plots import plot_steps, plot_trajectories
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence
from mllab.optim import (
    Adagrad,
    Adam,
    ConstantRateAdagrad,
    ExponentialDecay,
    GradientDescent,
    InverseSqrtDecay,
    RMSProp,
    WarmupCosine,
    WarmupInverseSqrt,
)
from mllab.train import DescentState, LoopConfig, descent_step


def sign_changes(x: Tensor) -> int:
    r"""How many times consecutive values of the sequence ``x`` have strictly opposite
    signs (a zero breaks no chain and makes none)."""
    return int((x[1:] * x[:-1] < 0).sum())


def first_at_most(values: Tensor, tol: float) -> int | None:
    r"""The first index ``t`` with ``values[t] <= tol``, or ``None``."""
    hits = torch.nonzero(values <= tol).flatten()
    return int(hits[0]) if len(hits) else None


def axis_report(theta: Tensor, lam: float, tol: float) -> dict:
    r"""What one coordinate :math:`\theta_i^0, \dots, \theta_i^T` (shape (T+1,)) of a path on
    :func:`elongated_bowl` did after it first came within ``tol`` of its optimum 0.

    - ``settled``: the first :math:`t` with :math:`|\theta_i^t| \le` ``tol`` (or ``None``);
    - ``max_after``: the largest :math:`|\theta_i^t|` from then on (a burst leaves the band);
    - ``largest_step`` / ``at``: the largest later step :math:`|\theta_i^{t+1} - \theta_i^t|`
      and its update's number :math:`t+1`;
    - ``quietest_gradient``: the smallest :math:`|g_i|` between ``settled`` and that step,
      relative to :math:`|g_i^0|` (how small the gradient had become before it);
    - ``peak_effective_lr``: the largest later :math:`|\Delta\theta_i| / |g_i|`, the effective
      learning rate, in units of the stability limit :math:`2/\lambda_i` (above 1 the step
      overshoots the valley floor by more than it started from: the axis is unstable).
    """
    settled = first_at_most(theta.abs(), tol)
    if settled is None or settled == len(theta) - 1:
        return {"settled": settled}
    g = lam * theta  # (T+1,): ∂L/∂θ_i
    step = (theta[1:] - theta[:-1]).abs()[settled:]  # (T-settled,)
    g_late = g[settled:-1].abs()
    k = settled + int(step.argmax())  # the step θ^k -> θ^(k+1), i.e. update k+1, uses g^k
    moving = g_late > 0
    effective = step[moving] / g_late[moving] * lam / 2 if moving.any() else torch.zeros(1)
    return {"settled": settled, "max_after": theta[settled:].abs().max().item(),
            "largest_step": step.max().item(), "at": k + 1,
            "quietest_gradient": g[settled:k + 1].abs().min().item() / abs(g[0].item()),
            "peak_effective_lr": effective.max().item()}


def path_report(path: Tensor, lam: tuple[float, float], tol: float) -> dict:
    r"""Measurements of a path :math:`\theta^0, \dots, \theta^T` (shape (T+1, 2)) on
    :func:`elongated_bowl`: the first update within ``tol`` of the minimum (``reached``),
    distances, sign changes of the steep coordinate, the share of the flat axis covered, and
    an :func:`axis_report` per axis (``flat`` = :math:`\theta_1`, ``steep`` =
    :math:`\theta_2`)."""
    distance = path.norm(dim=1)  # (T+1,)
    return {"reached": first_at_most(distance, tol), "final_distance": distance[-1].item(),
            "min_distance": distance.min().item(),
            "steep_sign_changes": sign_changes(path[:, 1]),
            "flat_progress": 1 - abs(path[-1, 0].item()) / abs(path[0, 0].item()),
            "final_loss": elongated_bowl(path[-1], lam=lam).item(),
            "flat": axis_report(path[:, 0], lam[0], tol),
            "steep": axis_report(path[:, 1], lam[1], tol)}


@dataclass
class AdaptiveSettings(Settings):
    flat_curvature: float = 1.0
    """λ1, the curvature along θ1 (> 0)."""
    steep_curvature: float = 1e4
    """λ2, the curvature along θ2 (> flat_curvature); λ2/λ1 is the condition number."""
    flat_starts: tuple[float, ...] = (-15.0, -5.0)
    """Range of the start's θ1; every repeat draws one start, the same for every method; the
    minimum is (0, 0)."""
    steep_starts: tuple[float, ...] = (0.5, 1.5)
    """Range of the start's θ2."""
    repeats: int = 5
    """Independent starts (>= 1)."""
    steps: int = 3000
    """Updates of each method (>= 10)."""
    gd_large: float = 1.9
    """Large fixed η of gradient descent, in units of 1/λ2 (in (1, 2): oscillates, stable)."""
    gd_small: float = 0.1
    """Small fixed η of gradient descent, in units of 1/λ2 (in (0, 1): no oscillation)."""
    adagrad_lr: float = 0.5
    """η of every Adagrad (> 0)."""
    rmsprop_lr: float = 0.05
    """η of RMSProp, α = 0.9 (> 0)."""
    adam_lr: float = 0.05
    """η of Adam, β = (0.9, 0.999) (> 0)."""
    gamma: float = 0.995
    """γ of the exponential decay η γ^t (in (0, 1))."""
    warmup_steps: int = 100
    """Warm-up updates of WarmupCosine and WarmupInverseSqrt (>= 1, < steps)."""
    tol: float = 0.1
    """Distance to the minimum (overall, or along one axis) that counts as reaching it (> 0)."""
    burst_factor: float = 5.0
    """An axis that came within tol of its optimum and later lies farther than
    burst_factor × tol from it has burst (> 1)."""

    def validate(self) -> None:
        require(self.flat_curvature > 0, "flat_curvature", "> 0", self.flat_curvature)
        require(self.steep_curvature > self.flat_curvature, "steep_curvature",
                "> flat_curvature", self.steep_curvature)
        for name in ("flat_starts", "steep_starts"):
            lo_hi = getattr(self, name)
            require(len(lo_hi) == 2 and all(map(math.isfinite, lo_hi))
                    and lo_hi[0] <= lo_hi[1] and (lo_hi[0] > 0 or lo_hi[1] < 0), name,
                    "a range (low, high) that excludes 0", lo_hi)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(self.steps >= 10, "steps", ">= 10", self.steps)
        require(1 < self.gd_large < 2, "gd_large", "in (1, 2)", self.gd_large)
        require(0 < self.gd_small < 1, "gd_small", "in (0, 1)", self.gd_small)
        for name in ("adagrad_lr", "rmsprop_lr", "adam_lr", "tol"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(0 < self.gamma < 1, "gamma", "in (0, 1)", self.gamma)
        require(1 <= self.warmup_steps < self.steps, "warmup_steps", ">= 1 and < steps",
                self.warmup_steps)
        require(self.burst_factor > 1, "burst_factor", "> 1", self.burst_factor)

    @classmethod
    def quick(cls) -> AdaptiveSettings:
        return cls(steps=1000, repeats=2)


def adaptive_methods(s: AdaptiveSettings) -> dict[str, Callable]:
    r"""Each method's name -> ``make(params) -> (optimizer, scheduler or None)``."""
    lam_max = s.steep_curvature

    def adagrad_with(schedule):
        def make(params):
            optimizer = ConstantRateAdagrad(params, lr=s.adagrad_lr)
            return optimizer, schedule(optimizer)
        return make

    return {
        "gd-large": lambda p: (GradientDescent(p, lr=s.gd_large / lam_max), None),
        "gd-small": lambda p: (GradientDescent(p, lr=s.gd_small / lam_max), None),
        "adagrad-constant": adagrad_with(lambda o: None),
        "adagrad": lambda p: (Adagrad(p, lr=s.adagrad_lr), None),
        "adagrad-constant_inverse-sqrt-decay": adagrad_with(InverseSqrtDecay),
        "adagrad-constant_exponential-decay": adagrad_with(
            lambda o: ExponentialDecay(o, s.gamma)),
        "adagrad-constant_warmup-inverse-sqrt": adagrad_with(
            lambda o: WarmupInverseSqrt(o, s.warmup_steps)),
        "adagrad-constant_warmup-cosine": adagrad_with(
            lambda o: WarmupCosine(o, s.warmup_steps, s.steps)),
        "rmsprop": lambda p: (RMSProp(p, lr=s.rmsprop_lr, alpha=0.9), None),
        "adam": lambda p: (Adam(p, lr=s.adam_lr), None),
    }


ADAGRADS = ("adagrad-constant", "adagrad", "adagrad-constant_inverse-sqrt-decay",
            "adagrad-constant_exponential-decay", "adagrad-constant_warmup-inverse-sqrt",
            "adagrad-constant_warmup-cosine")


DECAYED = ("adagrad", "adagrad-constant_inverse-sqrt-decay")
"""The course's decay η/√(t+1): built into mllab's Adagrad, and as InverseSqrtDecay on the
constant-η Adagrad (the same numbers, a check of :class:`ConstantRateAdagrad`)."""


SCHEDULES = ("adagrad-constant_exponential-decay", "adagrad-constant_warmup-inverse-sqrt",
             "adagrad-constant_warmup-cosine")
"""The other schedules the experiment runs on the constant-η Adagrad; each is judged too."""


def burst_size(r: dict, s: AdaptiveSettings) -> float:
    r"""How far a :func:`path_report`'s path strayed after an axis had settled within ``tol``
    of its optimum, in units of ``tol`` (0 if no axis settled before the end)."""
    return max((r[axis]["max_after"] / s.tol for axis in ("flat", "steep")
                if "max_after" in r[axis]), default=0.0)


def judge_adaptive(m: dict, s: AdaptiveSettings) -> Evidence:
    def values(name: str, key) -> list[float]:
        return [key(r) for r in m[name]]

    reach = [Check(f"{name} reaches the minimum", "closest distance to the minimum",
                   values(name, lambda r: r["min_distance"]), margin=0.0, threshold=s.tol,
                   below=True, reason=f"within tol = {s.tol:g} counts as reaching it")
             for name in ("adagrad-constant", "adagrad", "rmsprop", "adam")]
    size = "largest distance from the optimum after an axis settled, in units of tol"
    bursts = Check("constant-η Adagrad bursts after the gradient has become small", size,
                   values("adagrad-constant", lambda r: burst_size(r, s)), margin=0.0,
                   threshold=s.burst_factor, reason=f"burst_factor = {s.burst_factor:g}")
    calm = [Check(f"learning-rate decay removes the bursts: {name}", size,
                  values(name, lambda r: burst_size(r, s)), margin=0.0,
                  threshold=s.burst_factor, below=True,
                  reason=f"burst_factor = {s.burst_factor:g}") for name in DECAYED + SCHEDULES]
    big, small = m["gd-large"], m["gd-small"]
    return Evidence(checks=[*reach, bursts, *calm], demonstrations=[
        Demonstration(f"fixed η = {s.gd_large:g}/λ2 multiplies θ2 by 1 − ηλ2 = "
                      f"{1 - s.gd_large:g} per update: it changes sign every update and "
                      "shrinks slowly (oscillation)",
                      "θ2 sign changes per repeat: "
                      + ", ".join(str(r["steep_sign_changes"]) for r in big)
                      + f" of {s.steps}"),
        Demonstration(f"fixed η = {s.gd_small:g}/λ2 multiplies θ1 by 1 − ηλ1 = "
                      f"{1 - s.gd_small * s.flat_curvature / s.steep_curvature:.6g} per "
                      "update (crawling along the flat axis)",
                      "share of the flat axis covered per repeat: "
                      + ", ".join(f"{r['flat_progress']:.1%}" for r in small))])


@experiment(name="adaptive-lr", lecture=LECTURE, judge=judge_adaptive,
            claim="On an elongated convex surface, fixed-η gradient descent oscillates (large "
                  "η) or crawls (small η); Adagrad, RMSProp and Adam reach the minimum; "
                  "Adagrad with a constant η bursts after the gradient has become small, and "
                  "learning-rate decay removes the bursts.")
def adaptive_lr(s: AdaptiveSettings, ctx: RunContext) -> Result:
    lam = (s.flat_curvature, s.steep_curvature)
    surface = partial(elongated_bowl, lam=lam)
    methods = adaptive_methods(s)
    metrics: dict[str, list[dict]] = {name: [] for name in methods}
    ctx.plan(trials=s.repeats * len(methods))
    for r in range(s.repeats):
        u = torch.rand(2, generator=ctx.generator(f"start/r{r}"), dtype=torch.float64)
        theta0 = (s.flat_starts[0] + u[0].item() * (s.flat_starts[1] - s.flat_starts[0]),
                  s.steep_starts[0] + u[1].item() * (s.steep_starts[1] - s.steep_starts[0]))
        paths = {}
        for name, make in methods.items():
            with ctx.trial(f"{name}-r{r}") as t:
                theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
                optimizer, scheduler = make([theta])
                run = t.run(descent_step(surface),
                            DescentState(theta=theta, optimizer=optimizer, scheduler=scheduler),
                            LoopConfig(steps=s.steps), fingerprint=s.to_dict())
            path = torch.tensor([list(theta0)] + [h["theta"] for h in run.history],
                                dtype=torch.float64)  # (steps+1, 2)
            metrics[name].append({"theta0": list(theta0), **path_report(path, lam, s.tol)})
            paths[name] = path
        if r == 0:
            plot_trajectories(ctx, s, paths)
            plot_steps(ctx, s, paths, ADAGRADS)
    rows = [[name, i, r["reached"], r["min_distance"], r["steep_sign_changes"],
             r["steep"].get("max_after"), r["steep"].get("peak_effective_lr"),
             r["flat"].get("max_after"), burst_size(r, s)]
            for name, reports in metrics.items() for i, r in enumerate(reports)]
    return Result(metrics=metrics, tables=[table(
        f"{s.steps} updates from a random start on L = ½({lam[0]:g} θ1² + {lam[1]:g} θ2²); "
        f"'reached' = first update within {s.tol:g} of the minimum; 'after settling' = after "
        f"|θi| first fell to {s.tol:g}",
        ["method", "repeat", "reached", "closest distance", "θ2 sign changes",
         "max |θ2| after settling", "peak effective η along θ2 / (2/λ2)",
         "max |θ1| after settling", "burst size / tol"], rows)])
