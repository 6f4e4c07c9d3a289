r"""``momentum``: where plain gradient descent stops in a shallow local minimum, gradient
descent with momentum, from the same start with the same learning rate, carries on over the
bump to a lower loss.

Differences from the course: the lecture draws a hand-made curve; here the curve is a
SYNTHETIC formula (a bowl with a Gaussian bump on its slope,
:func:`mllab.analysis.bowl_with_bump`), chosen once so that it has the lecture's shape.
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
from mllab.optim import GradientDescent, Momentum
from mllab.train import DescentState, LoopConfig, descent_step, run_loop


@dataclass
class MomentumSettings(Settings):
    curvature: float = 1.0
    """a: curvature of the bowl (> 0)."""
    center: float = 1.5
    """c: centre of the bowl, near which the deepest minimum lies."""
    bump_height: float = 1.0
    """h: height of the Gaussian bump (> 0)."""
    bump_center: float = 0.0
    """b: position of the bump, on the bowl's left slope."""
    bump_width: float = 0.25
    """w: width of the bump (> 0)."""
    theta0: float = -2.0
    """Starting point, the same for both methods."""
    lr: float = 0.05
    """Learning rate η, the same for both methods (> 0)."""
    momentum: float = 0.9
    """λ, the weight of the last movement (in (0, 1))."""
    steps: int = 400
    """Full-batch updates of each method (>= 1)."""
    grad_tol: float = 1e-4
    """|L'(θ)| at or below which a method counts as stopped (> 0)."""
    sweep_starts: tuple[float, ...] = (-3.0, -2.0, -1.0)
    """Starting points of the robustness sweep (for information, not in the verdict)."""
    sweep_lrs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.2)
    """Learning rates of the robustness sweep (each > 0)."""

    def validate(self) -> None:
        for name in ("curvature", "bump_height", "bump_width", "lr"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(0 < self.momentum < 1, "momentum", "in (0, 1)", self.momentum)
        require(self.steps >= 1, "steps", ">= 1", self.steps)
        require(self.grad_tol > 0, "grad_tol", "> 0", self.grad_tol)
        require(all(math.isfinite(v) for v in (self.center, self.bump_center, self.theta0)),
                "center/bump_center/theta0", "finite",
                (self.center, self.bump_center, self.theta0))
        require(len(self.sweep_starts) >= 1 and all(map(math.isfinite, self.sweep_starts)),
                "sweep_starts", "one or more finite numbers", self.sweep_starts)
        require(len(self.sweep_lrs) >= 1 and all(v > 0 for v in self.sweep_lrs),
                "sweep_lrs", "one or more values > 0", self.sweep_lrs)

    @classmethod
    def quick(cls) -> MomentumSettings:
        return cls(sweep_starts=(-3.0, -1.0), sweep_lrs=(0.01, 0.1))

    def curve(self) -> Callable[[Tensor], Tensor]:
        return partial(bowl_with_bump, a=self.curvature, c=self.center, h=self.bump_height,
                       b=self.bump_center, w=self.bump_width)


def judge_momentum(m: dict, s: MomentumSettings) -> tuple[str, str]:
    gd, mom = m["gradient-descent"], m["momentum"]
    stopped = gd["grad_abs"] <= s.grad_tol
    lower = mom["loss"] < gd["loss"]
    settled = mom["grad_abs"] <= s.grad_tol
    held = stopped and lower and settled
    sweep = m["sweep"]
    return ("reproduced" if held else "not reproduced"), (
        f"same start θ0={s.theta0:g} and η={s.lr:g}, {s.steps} updates: gradient descent "
        f"ends at θ={gd['theta']:.4f}, L={gd['loss']:.4f}, |L'|={gd['grad_abs']:.1e} "
        f"({'stopped' if stopped else 'NOT stopped'}: tolerance {s.grad_tol:g}; nearest "
        f"critical point: {gd['nearest']}); momentum λ={s.momentum:g} ends at "
        f"θ={mom['theta']:.4f}, L={mom['loss']:.4f} ({'lower' if lower else 'NOT lower'}), "
        f"|L'|={mom['grad_abs']:.1e} ({'settled' if settled else 'NOT settled'}; nearest: "
        f"{mom['nearest']}). For information, sweep of {sweep['runs']} (start, η) pairs: "
        f"momentum ended lower than gradient descent in {sweep['momentum_lower']}, "
        f"gradient descent stopped in the local minimum in {sweep['gd_in_local_minimum']}")


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
    curve = s.curve()
    points = curve_critical_points(curve, min(s.theta0, *s.sweep_starts) - 2, s.center + 4)
    methods = {"gradient-descent": lambda p: GradientDescent(p, lr=s.lr),
               "momentum": lambda p: Momentum(p, lr=s.lr, momentum=s.momentum)}
    metrics, paths = {}, {}
    for name, make in methods.items():
        with ctx.trial(name) as t:
            theta = torch.tensor(s.theta0, dtype=torch.float64, requires_grad=True)
            state = DescentState(theta=theta, optimizer=make([theta]))
            run = t.run(descent_step(curve), state, LoopConfig(steps=s.steps),
                        fingerprint=s.to_dict())
        theta = state.theta.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(curve(theta), theta)
        metrics[name] = {"theta": theta.item(), "loss": curve(theta).item(),
                         "grad_abs": g.abs().item(), "nearest": _nearest(theta.item(), points)}
        paths[name] = [s.theta0] + [h["theta"] for h in run.history]
    with ctx.trial("sweep") as t:
        metrics["sweep"] = t.record("sweep", lambda: _sweep(s, curve, points))
    metrics["critical_points"] = points
    plot_momentum(ctx, s, curve, points, paths)
    rows = [[n, s.theta0, v["theta"], v["loss"], v["grad_abs"], v["nearest"]]
            for n, v in metrics.items() if n in methods]
    sweep_rows = [[r["theta0"], r["lr"], r["gd_theta"], r["gd_loss"], r["momentum_theta"],
                   r["momentum_loss"]] for r in metrics["sweep"]["rows"]]
    return Result(metrics=metrics, tables=[
        table(f"Same start and η = {s.lr:g}, {s.steps} updates",
              ["method", "θ0", "final θ", "final L", "|L'(θ)|", "nearest critical point"], rows),
        table(f"Sweep (for information): final θ and L after {s.steps} updates",
              ["θ0", "η", "GD θ", "GD L", "momentum θ", "momentum L"], sweep_rows),
        table("Critical points of the curve", ["θ", "L(θ)", "kind"],
              [[p["theta"], p["loss"], p["kind"]] for p in points])])


def _descend(curve: Callable[[Tensor], Tensor], theta0: float,
             make: Callable[[list[Tensor]], torch.optim.Optimizer], steps: int) -> float:
    r"""The final :math:`\theta` of ``steps`` updates from ``theta0`` (no checkpoints: a sweep
    inside one recorded trial)."""
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    state = DescentState(theta=theta, optimizer=make([theta]))
    run_loop(descent_step(curve), state, LoopConfig(steps=steps))
    return state.theta.item()


def _sweep(s: MomentumSettings, curve, points: list[dict]) -> dict:
    local = [p for p in points if p["kind"] == "minimum"]
    local = min(local, key=lambda p: p["theta"])["theta"] if len(local) > 1 else None
    rows = []
    for theta0 in s.sweep_starts:
        for lr in s.sweep_lrs:
            gd = _descend(curve, theta0, lambda p, lr=lr: GradientDescent(p, lr=lr), s.steps)
            mom = _descend(curve, theta0, lambda p, lr=lr: Momentum(p, lr=lr,
                                                                   momentum=s.momentum), s.steps)
            rows.append({"theta0": theta0, "lr": lr, "gd_theta": gd,
                         "gd_loss": curve(torch.tensor(gd, dtype=torch.float64)).item(),
                         "momentum_theta": mom,
                         "momentum_loss": curve(torch.tensor(mom, dtype=torch.float64)).item()})
    return {"runs": len(rows), "rows": rows,
            "momentum_lower": sum(r["momentum_loss"] < r["gd_loss"] for r in rows),
            "gd_in_local_minimum": sum(local is not None and abs(r["gd_theta"] - local) < 1e-2
                                       for r in rows)}
