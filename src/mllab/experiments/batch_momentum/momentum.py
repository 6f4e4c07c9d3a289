r"""``momentum``: where plain gradient descent stops in a shallow local minimum, gradient
descent with momentum, from the same start with the same learning rate, carries on over the
bump to a lower loss.

The evidence: ``repeats`` families of ``cases`` SYNTHETIC curves (a bowl with a Gaussian bump
on its slope, :func:`mllab.analysis.bowl_with_bump`, the bump's height, width and place and
the start drawn from seeded ranges). In each family, among the cases where gradient descent
stops in the local minimum before the bump, the share where momentum ends lower is measured;
the check asks that share to exceed ``pass_share`` over the families. One curve of the
lecture's shape is drawn and described, for illustration.

Differences from the course: the lecture draws a hand-made curve; the curves here are a
formula, and their ranges were chosen once so that most of them have the lecture's shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor

from mllab.analysis import bowl_with_bump, curve_critical_points
from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.batch_momentum import LECTURE
from mllab.experiments.batch_momentum.plots import plot_momentum
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition
from mllab.optim import GradientDescent, Momentum
from mllab.train import DescentState, LoopConfig, descent_step, run_loop


@dataclass
class MomentumSettings(Settings):
    curvature: float = 1.0
    """a: curvature of the bowl (> 0)."""
    center: float = 1.5
    """c: centre of the bowl, near which the deepest minimum lies."""
    bump_height: float = 1.0
    """h: height of the Gaussian bump of the illustrated curve (> 0)."""
    bump_center: float = 0.0
    """b: position of the illustrated curve's bump, on the bowl's left slope."""
    bump_width: float = 0.25
    """w: width of the illustrated curve's bump (> 0)."""
    theta0: float = -2.0
    """Starting point on the illustrated curve, the same for both methods."""
    lr: float = 0.05
    """Learning rate η, the same for both methods (> 0)."""
    momentum: float = 0.9
    """λ, the weight of the last movement (in (0, 1))."""
    steps: int = 400
    """Full-batch updates of each method (>= 1)."""
    grad_tol: float = 1e-4
    """|L'(θ)| at or below which gradient descent counts as stopped (> 0)."""
    repeats: int = 5
    """Independent families of curves (>= 1)."""
    cases: int = 20
    """Curves with starts drawn per family (>= 1): bump height, width and position and the
    start uniform in the ranges below, a and c as above."""
    heights: tuple[float, ...] = (0.5, 1.5)
    """Range of the bump's height h."""
    widths: tuple[float, ...] = (0.15, 0.35)
    """Range of the bump's width w."""
    centers: tuple[float, ...] = (-0.5, 0.5)
    """Range of the bump's position b."""
    start_offsets: tuple[float, ...] = (-3.0, -1.0)
    """Range of the start θ0 - b, left of the bump."""
    pass_share: float = 0.5
    """The claim holds if momentum passes the local minimum in more than this share of the
    cases where gradient descent stops in it: "more often than not", since the lecture says
    momentum may carry on, not that it always does (in (0, 1))."""
    min_cases: int = 3
    """Each family needs this many cases where gradient descent stops in a local minimum, or
    the check cannot decide (>= 1)."""

    def validate(self) -> None:
        for name in ("curvature", "bump_height", "bump_width", "lr"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(0 < self.momentum < 1, "momentum", "in (0, 1)", self.momentum)
        for name in ("steps", "repeats", "cases", "min_cases"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.grad_tol > 0, "grad_tol", "> 0", self.grad_tol)
        require(all(math.isfinite(v) for v in (self.center, self.bump_center, self.theta0)),
                "center/bump_center/theta0", "finite",
                (self.center, self.bump_center, self.theta0))
        for name in ("heights", "widths", "centers", "start_offsets"):
            lo_hi = getattr(self, name)
            require(len(lo_hi) == 2 and all(map(math.isfinite, lo_hi)) and lo_hi[0] <= lo_hi[1],
                    name, "a range (low, high)", lo_hi)
        require(min(self.heights) > 0 and min(self.widths) > 0, "heights/widths", "> 0",
                (self.heights, self.widths))
        require(0 < self.pass_share < 1, "pass_share", "in (0, 1)", self.pass_share)

    @classmethod
    def quick(cls) -> MomentumSettings:
        return cls(repeats=2, cases=8)


def curve(a: float, c: float, h: float, b: float, w: float) -> Callable[[Tensor], Tensor]:
    r"""The SYNTHETIC loss curve :func:`mllab.analysis.bowl_with_bump` with these parameters."""
    return partial(bowl_with_bump, a=a, c=c, h=h, b=b, w=w)


def judge_momentum(m: dict, s: MomentumSettings) -> Evidence:
    families, show = m["families"], m["illustration"]
    stopping = [f["stopping"] for f in families]
    gd, mom = show["gradient-descent"], show["momentum"]
    return Evidence(
        checks=[Check(
            "where gradient descent stops in a local minimum, momentum carries on past it",
            "share of a family's stopping cases where momentum ends lower than gradient descent",
            [f["share"] for f in families], margin=0.0, threshold=s.pass_share,
            reason=f"'more often than not' (pass_share = {s.pass_share:g})")],
        preconditions=[Precondition(
            f"every family has at least {s.min_cases} cases where gradient descent stops "
            f"(|L'| <= {s.grad_tol:g}) in a local minimum", f"{stopping} of {s.cases} each",
            min(stopping) >= s.min_cases)],
        notes=[f"the illustrated curve, from θ0 = {s.theta0:g} with η = {s.lr:g}: gradient "
               f"descent ends at θ = {gd['theta']:.4f} (L = {gd['loss']:.4f}, |L'| = "
               f"{gd['grad_abs']:.1e}, {gd['nearest']}); momentum λ = {s.momentum:g} at θ = "
               f"{mom['theta']:.4f} (L = {mom['loss']:.4f}, {mom['nearest']})"])


def _nearest(theta: float, points: list[dict]) -> str:
    deepest = min(p["loss"] for p in points)
    p = min(points, key=lambda p: abs(p["theta"] - theta))
    kind = p["kind"] if p["kind"] == "maximum" else (
        "global minimum" if p["loss"] == deepest else "local minimum")
    return f"{kind} at θ={p['theta']:.4f} (distance {abs(p['theta'] - theta):.1e})"


@experiment(name="momentum", lecture=LECTURE, judge=judge_momentum,
            claim="Where plain gradient descent stops (gradient ≈ 0 in a shallow local "
                  "minimum), gradient descent with momentum, from the same start with the same "
                  "learning rate, carries on over the bump to a lower loss.")
def momentum(s: MomentumSettings, ctx: RunContext) -> Result:
    shown = curve(s.curvature, s.center, s.bump_height, s.bump_center, s.bump_width)
    points = curve_critical_points(shown, s.theta0 - 2, s.center + 4)
    methods = {"gradient-descent": lambda p: GradientDescent(p, lr=s.lr),
               "momentum": lambda p: Momentum(p, lr=s.lr, momentum=s.momentum)}
    illustration, paths = {}, {}
    ctx.plan(trials=len(methods) + s.repeats)
    for name, make in methods.items():
        with ctx.trial(name) as t:
            theta = torch.tensor(s.theta0, dtype=torch.float64, requires_grad=True)
            state = DescentState(theta=theta, optimizer=make([theta]))
            run = t.run(descent_step(shown), state, LoopConfig(steps=s.steps),
                        fingerprint=s.to_dict())
        theta = state.theta.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(shown(theta), theta)
        illustration[name] = {"theta": theta.item(), "loss": shown(theta).item(),
                              "grad_abs": g.abs().item(),
                              "nearest": _nearest(theta.item(), points)}
        paths[name] = [s.theta0] + [h["theta"] for h in run.history]
    families = []
    for r in range(s.repeats):
        with ctx.trial(f"family-r{r}") as t:
            families.append(t.record("family", lambda r=r: _family(
                s, methods, ctx.generator(f"family/r{r}"))))
    plot_momentum(ctx, s, shown, points, paths)
    rows = [[n, s.theta0, v["theta"], v["loss"], v["grad_abs"], v["nearest"]]
            for n, v in illustration.items()]
    family_rows = [[r, f["cases"], f["stopping"], f["passed"], f["share"]]
                   for r, f in enumerate(families)]
    return Result(metrics={"illustration": illustration, "families": families,
                           "critical_points": points}, tables=[
        table(f"The illustrated curve: same start and η = {s.lr:g}, {s.steps} updates",
              ["method", "θ0", "final θ", "final L", "|L'(θ)|", "nearest critical point"], rows),
        table("Families of random curves and starts",
              ["family", "cases", "gradient descent stops in a local minimum",
               "momentum ends lower", "share"], family_rows),
        table("Critical points of the illustrated curve", ["θ", "L(θ)", "kind"],
              [[p["theta"], p["loss"], p["kind"]] for p in points])])


def _descend(loss: Callable[[Tensor], Tensor], theta0: float,
             make: Callable[[list[Tensor]], torch.optim.Optimizer], steps: int) -> Tensor:
    r"""The final :math:`\theta` of ``steps`` updates from ``theta0`` (no checkpoints: a
    family is computed inside one recorded trial)."""
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    state = DescentState(theta=theta, optimizer=make([theta]))
    run_loop(descent_step(loss), state, LoopConfig(steps=steps))
    return state.theta.detach()


def _family(s: MomentumSettings, methods: dict, g: torch.Generator) -> dict:
    r"""``s.cases`` random curves and starts: in how many does gradient descent stop in the
    local minimum before the bump, and in how many of those does momentum end lower?"""
    u = torch.rand(s.cases, 4, generator=g, dtype=torch.float64).tolist()  # (cases, 4)
    stopping = passed = 0
    for uh, uw, ub, us in u:
        h, w, b = (lo + v * (hi - lo) for v, (lo, hi) in
                   ((uh, s.heights), (uw, s.widths), (ub, s.centers)))
        theta0 = b + s.start_offsets[0] + us * (s.start_offsets[1] - s.start_offsets[0])
        loss = curve(s.curvature, s.center, h, b, w)
        minima = sorted((p for p in curve_critical_points(loss, theta0 - 1, s.center + 4)
                         if p["kind"] == "minimum"), key=lambda p: p["theta"])
        gd = _descend(loss, theta0, methods["gradient-descent"], s.steps).requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(gd), gd)
        if len(minima) < 2 or abs(grad.item()) > s.grad_tol or \
                abs(gd.item() - minima[0]["theta"]) > 1e-2:
            continue  # gradient descent did not stop in the local minimum before the bump
        stopping += 1
        mom = _descend(loss, theta0, methods["momentum"], s.steps)
        passed += bool(loss(mom) < loss(gd.detach()))
    return {"cases": s.cases, "stopping": stopping, "passed": passed,
            "share": passed / stopping if stopping else float("nan")}
