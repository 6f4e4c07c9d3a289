r"""``adaptive-lr``: on a SYNTHETIC elongated convex surface
:math:`L = \frac12(\lambda_1 \theta_1^2 + \lambda_2 \theta_2^2)` (flat along :math:`\theta_1`,
steep along :math:`\theta_2`, as in the lecture's figure), fixed-η gradient descent oscillates
or crawls; Adagrad, RMSProp and Adam (:mod:`mllab.optim`) reach the minimum; Adagrad with a
constant η bursts once the gradient has become small, and learning-rate decay removes the
bursts."""

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
    theta0: tuple[float, ...] = (-10.0, 1.0)
    """Start (θ1, θ2), the same for every method; the minimum is (0, 0)."""
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
        require(len(self.theta0) == 2 and all(map(math.isfinite, self.theta0))
                and self.theta0[0] != 0, "theta0", "two finite numbers, θ1 != 0", self.theta0)
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
        return cls(steps=1000)


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


OTHER_SCHEDULES = ("adagrad-constant_exponential-decay", "adagrad-constant_warmup-inverse-sqrt",
                   "adagrad-constant_warmup-cosine")


def bursts(r: dict, s: AdaptiveSettings) -> list[str]:
    r"""The axes of a :func:`path_report` that left the ``tol`` band after settling in it by
    more than ``burst_factor``."""
    return [axis for axis in ("flat", "steep") if r[axis]["settled"] is not None
            and "max_after" in r[axis] and r[axis]["max_after"] > s.burst_factor * s.tol]


def judge_adaptive(m: dict, s: AdaptiveSettings) -> tuple[str, str]:
    def reach(name):
        r = m[name]
        return (f"{name} at update {r['reached']}" if r["reached"] is not None
                else f"{name} did NOT reach (final distance {r['final_distance']:.3g})")

    def calm(name):
        r, burst = m[name], bursts(m[name], s)
        steep, flat = r["steep"], r["flat"]
        head = f"{name}: {'BURST along ' + ' and '.join(burst) if burst else 'no burst'}"
        if "max_after" not in steep:
            return f"{head} (θ2 never settled within {s.tol:g})"
        text = (f"{head} (θ2 settled within {s.tol:g} at update {steep['settled']}, later max "
                f"|θ2| {steep['max_after']:.3g}; largest later step {steep['largest_step']:.3g}"
                f" at update {steep['at']}, after |g2| had fallen to "
                f"{steep['quietest_gradient']:.1e} of its start; peak effective η "
                f"{steep['peak_effective_lr']:.3g}× the stability limit 2/λ2")
        if "max_after" in flat:
            text += f"; θ1 settled at update {flat['settled']}, later max {flat['max_after']:.3g}"
        return text + ")"

    big, small, n = m["gd-large"], m["gd-small"], s.steps
    oscillates = big["reached"] is None and big["steep_sign_changes"] >= n // 10
    crawls = small["reached"] is None and small["steep_sign_changes"] == 0
    adaptive = ("adagrad-constant", "adagrad", "rmsprop", "adam")
    reached = all(m[k]["reached"] is not None for k in adaptive)
    burst = bool(bursts(m["adagrad-constant"], s))
    calmed = all(m[k]["reached"] is not None and not bursts(m[k], s) for k in DECAYED)
    held = oscillates and crawls and reached and burst and calmed
    parts = [
        f"(1) gradient descent, η={s.gd_large:g}/λ2 (just under the divergence limit 2/λ2): "
        f"θ2 changed sign {big['steep_sign_changes']} times in {n} updates (oscillation: >= "
        f"{n // 10}; their amplitude shrinks by |1 − η λ2| per update), "
        f"{big['flat_progress']:.1%} of the flat axis covered, final distance "
        f"{big['final_distance']:.3g}; η={s.gd_small:g}/λ2: "
        f"{small['steep_sign_changes']} sign changes, {small['flat_progress']:.1%} of the "
        f"flat axis covered, final distance {small['final_distance']:.3g} "
        f"({'oscillates / crawls, neither reaches' if oscillates and crawls else 'NOT so'})",
        f"(2) first update within {s.tol:g} of the minimum: "
        + "; ".join(reach(k) for k in adaptive) + f" ({'all reach' if reached else 'NOT all'})",
        f"(3) constant-η Adagrad, {calm('adagrad-constant')}"
        + ("" if burst else " — the burst did NOT appear"),
        "(4) with the decay η/√(t+1): " + "; ".join(calm(k) for k in DECAYED)
        + f" ({'bursts removed' if calmed else 'bursts NOT removed'})",
        "for information, other schedules on constant-η Adagrad: "
        + "; ".join(calm(k) for k in OTHER_SCHEDULES),
    ]
    return ("reproduced" if held else "not reproduced"), ". ".join(parts)


@experiment(name="adaptive-lr", lecture=LECTURE, judge=judge_adaptive,
            claim="On an elongated convex surface, fixed-η gradient descent oscillates (large "
                  "η) or crawls (small η); Adagrad, RMSProp and Adam reach the minimum; "
                  "Adagrad with a constant η bursts after the gradient has become small, and "
                  "learning-rate decay removes the bursts.")
def adaptive_lr(s: AdaptiveSettings, ctx: RunContext) -> Result:
    lam = (s.flat_curvature, s.steep_curvature)
    surface = partial(elongated_bowl, lam=lam)
    metrics, paths = {}, {}
    for name, make in adaptive_methods(s).items():
        with ctx.trial(name) as t:
            theta = torch.tensor(tuple(s.theta0), dtype=torch.float64, requires_grad=True)
            optimizer, scheduler = make([theta])
            run = t.run(descent_step(surface),
                        DescentState(theta=theta, optimizer=optimizer, scheduler=scheduler),
                        LoopConfig(steps=s.steps), fingerprint=s.to_dict())
        path = torch.tensor([list(s.theta0)] + [h["theta"] for h in run.history],
                            dtype=torch.float64)  # (steps+1, 2)
        metrics[name], paths[name] = path_report(path, lam, s.tol), path
    plot_trajectories(ctx, s, paths)
    plot_steps(ctx, s, paths, ADAGRADS)
    rows = [[name, r["reached"], r["final_distance"], r["steep_sign_changes"],
             r["steep"].get("max_after"), r["steep"].get("peak_effective_lr"),
             r["flat"].get("max_after"), ", ".join(bursts(r, s)) or "none"]
            for name, r in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        f"{s.steps} updates from θ0 = {tuple(s.theta0)} on L = ½({lam[0]:g} θ1² + "
        f"{lam[1]:g} θ2²); 'reached' = first update within {s.tol:g} of the minimum; 'after "
        f"settling' = after |θi| first fell to {s.tol:g}",
        ["method", "reached", "final distance", "θ2 sign changes", "max |θ2| after settling",
         "peak effective η along θ2 / (2/λ2)", "max |θ1| after settling", "bursts"], rows)])
