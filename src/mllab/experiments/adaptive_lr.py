r"""Lecture 2, "Adaptive learning rate": one fixed learning rate cannot suit a surface that is
steep in one direction and flat in another; a rate per parameter can, and scheduling calms
its late steps. Feature scaling attacks the same problem from the data side.

- ``adaptive-lr``: a SYNTHETIC elongated convex surface
  :math:`L = \frac12(\lambda_1 \theta_1^2 + \lambda_2 \theta_2^2)` (flat along
  :math:`\theta_1`, steep along :math:`\theta_2`, as in the lecture's figure) descended by
  fixed-η gradient descent, Adagrad, RMSProp and Adam (:mod:`mllab.optim`), and by Adagrad
  under learning-rate schedules.
- ``feature-scaling``: full-batch gradient descent for linear regression on the raw features
  of scikit-learn's diabetes data (``load_diabetes(scaled=False)``: age in years, blood
  pressure in mm Hg, ...) versus the same features standardized.

Differences from the course: the 2021 lecture's Adagrad divides a constant η by the root mean
square of the past gradients; :class:`mllab.optim.Adagrad` follows the earlier edition, whose
:math:`\eta^t = \eta/\sqrt{t+1}` is built in, and that decay is exactly what removes the
"bursts" the 2021 lecture shows. Both are measured: :class:`ConstantRateAdagrad` is the 2021
form, written on top of :func:`mllab.optim.adagrad_step`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor

from mllab.data import Standardizer, split_indices
from mllab.experiments.base import Result, Settings, experiment, require, table
from mllab.experiments.batch_momentum import CurvePoint, curve_value
from mllab.experiments.context import RunContext
from mllab.experiments.regression import least_squares
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.optim import (
    Adagrad,
    Adam,
    ExponentialDecay,
    GradientDescent,
    InverseSqrtDecay,
    RMSProp,
    WarmupCosine,
    WarmupInverseSqrt,
    adagrad_step,
)
from mllab.train import TrainConfig

LECTURE = "Adaptive learning rate"


class ConstantRateAdagrad(Adagrad):
    r"""Adagrad as the 2021 lecture writes it, with a constant :math:`\eta`:

    .. math:: \theta_i^{t+1} = \theta_i^t - \frac{\eta}{\sigma_i^t} g_i^t, \qquad
        \sigma_i^t = \sqrt{\tfrac{1}{t+1} \textstyle\sum_{j=0}^{t} (g_i^j)^2}.

    :class:`mllab.optim.Adagrad` has :math:`\eta^t = \eta/\sqrt{t+1}` built in; this class
    passes :math:`\eta\sqrt{t+1}` to :func:`mllab.optim.adagrad_step` to undo it, since
    :math:`\eta\sqrt{t+1}/\sqrt{\sum_j (g_i^j)^2} = \eta/\sigma_i^t`. A schedule multiplies
    :math:`\eta`; :class:`mllab.optim.InverseSqrtDecay` gives back :class:`Adagrad` exactly.
    :math:`\epsilon` sits where ``Adagrad`` puts it (:math:`\eta/(\sigma + \epsilon/\sqrt{t+1})`).

    State per parameter: ``"sum_sq"`` (a tensor) and ``"t"``, the updates so far (an int).
    """

    def __init__(self, params: Iterable[Tensor], lr: float, eps: float = 1e-10) -> None:
        super().__init__(params, lr=lr, eps=eps)

    def update(self, group: dict, theta: list[Tensor], g: list[Tensor]) -> None:
        r"""One step of one parameter group, :math:`\theta \leftarrow \theta - \eta g/\sigma`."""
        states = [self.state[p] for p in theta]
        for p, state in zip(theta, states, strict=True):
            if not state:
                state["sum_sq"], state["t"] = torch.zeros_like(p), 0
        t = states[0]["t"]
        adagrad_step(theta, g, [s["sum_sq"] for s in states], eta=group["lr"] * math.sqrt(t + 1),
                     eps=group["eps"])  # η √(t+1) / √Σg² = η / σ
        for state in states:
            state["t"] += 1


# ------------------------------------------------------------------------------ adaptive-lr
def elongated_bowl(theta: Tensor, *, lam: tuple[float, float]) -> Tensor:
    r""":math:`L(\theta) = \frac12(\lambda_1\theta_1^2 + \lambda_2\theta_2^2)` for
    ``theta`` of shape (..., 2); the minimum is :math:`\theta^* = 0` and the Hessian is
    :math:`\mathrm{diag}(\lambda_1, \lambda_2)`."""
    return 0.5 * (lam[0] * theta[..., 0].square() + lam[1] * theta[..., 1].square())


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
    dummy = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))
    metrics, paths = {}, {}
    for name, make in adaptive_methods(s).items():
        with ctx.trial(name) as t:
            model = CurvePoint(tuple(s.theta0), surface)
            optimizer, scheduler = make(model.parameters())
            fit = t.fit(model, optimizer, curve_value, dummy, None,
                        TrainConfig(epochs=s.steps, scheduler_interval="step"),
                        scheduler=scheduler, fingerprint=s.to_dict(),
                        extra_metrics=lambda m: {"theta1": m.theta[0].item(),
                                                 "theta2": m.theta[1].item()})
        path = torch.tensor([list(s.theta0)] + [[h["theta1"], h["theta2"]]
                                                for h in fit.history], dtype=torch.float64)
        metrics[name], paths[name] = path_report(path, lam, s.tol), path
    _plot_trajectories(ctx, s, paths)
    _plot_steps(ctx, s, paths)
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


def _plot_trajectories(ctx: RunContext, s: AdaptiveSettings, paths: dict) -> None:
    from mllab.report import new_figure

    lam = (s.flat_curvature, s.steep_curvature)
    every = torch.cat(list(paths.values()))
    lo, hi = every.min(0).values, every.max(0).values
    pad = 0.08 * (hi - lo)
    t1 = torch.linspace((lo[0] - pad[0]).item(), (hi[0] + pad[0]).item(), 100,
                        dtype=torch.float64)
    t2 = torch.linspace((lo[1] - pad[1]).item(), (hi[1] + pad[1]).item(), 100,
                        dtype=torch.float64)
    T1, T2 = torch.meshgrid(t1, t2, indexing="xy")  # (100, 100)
    surface = elongated_bowl(torch.stack([T1, T2], dim=-1), lam=lam).clamp_min(1e-12).log10()
    fig, axes = new_figure(ncols=4, nrows=3, size=(17, 10))
    for ax in axes.flat[len(paths):]:
        ax.axis("off")
    for ax, (name, path) in zip(axes.flat, paths.items(), strict=False):
        ax.contour(T1.numpy(), T2.numpy(), surface.numpy(), levels=12, cmap="viridis",
                   linewidths=0.6)
        ax.plot(path[:, 0].numpy(), path[:, 1].numpy(), color="tab:red", lw=0.7)
        ax.plot(path[0, 0].item(), path[0, 1].item(), "ko", ms=4)
        ax.plot(0, 0, "k+", ms=12, mew=2)
        ax.set_title(name, fontsize=9)
        ax.set(xlabel="θ1 (flat)", ylabel="θ2 (steep)")
    ctx.save_figure(fig, "trajectories",
                    f"Paths on the SYNTHETIC surface L = ½({lam[0]:g} θ1² + {lam[1]:g} θ2²) "
                    "(contours of log10 L; dot: start, +: minimum), one panel per method")


def _plot_steps(ctx: RunContext, s: AdaptiveSettings, paths: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=3, size=(16, 4.4))
    for name, path in paths.items():
        axes[0].plot(path.norm(dim=1).clamp_min(1e-16).numpy(), lw=1, label=name)
    axes[0].axhline(s.tol, color="k", ls="--", lw=0.8)
    axes[0].set(yscale="log", xlabel="update", ylabel="‖θ − θ*‖",
                title="Distance to the minimum (dashed: tol)")
    axes[0].legend(fontsize=6)
    for ax, i, axis in ((axes[1], 1, "θ2 (steep)"), (axes[2], 0, "θ1 (flat)")):
        for name in ADAGRADS:
            step = (paths[name][1:, i] - paths[name][:-1, i]).abs().clamp_min(1e-16)
            ax.plot(step.numpy(), lw=0.8, label=name)
        ax.set(yscale="log", ylim=(1e-12, 10), xlabel="update",
               ylabel=f"|Δ{axis.split()[0]}|", title=f"Adagrad step sizes along {axis}")
        ax.legend(fontsize=6)
    ctx.save_figure(fig, "step_sizes",
                    "Left: distance to the minimum per update, every method. Middle and right: "
                    "size of each Adagrad step along the steep and the flat axis; the spikes "
                    "that follow a quiet stretch are the bursts")


# -------------------------------------------------------------------------- feature-scaling
def raw_diabetes(seed: int) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    r"""The training split of scikit-learn's diabetes data with the RAW feature values
    (``load_diabetes(scaled=False)``), split as :func:`mllab.data.load_dataset` splits it.

    Returns ``x`` (N, 10) and ``y`` (N,) in float64, and the feature names.
    """
    from sklearn.datasets import load_diabetes  # lazy: keeps import cheap

    bunch = load_diabetes(scaled=False)
    x = torch.as_tensor(bunch.data, dtype=torch.float64)  # (442, 10)
    y = torch.as_tensor(bunch.target, dtype=torch.float64)  # (442,)
    train, _, _ = split_indices(y, generator=torch.Generator().manual_seed(seed))
    return x[train], y[train], tuple(bunch.feature_names)


def mse_hessian(x: Tensor) -> Tensor:
    r"""Hessian of :math:`L = \frac1N\lVert A\theta - y\rVert^2`, :math:`A = [X\;1]`:
    :math:`H = \frac2N A^\top A`, shape (C+1, C+1), in float64."""
    a = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)  # (N, C+1)
    return 2 * a.T @ a / len(x)


def gd_excess_loss(h: Tensor, delta0: Tensor, eta: float, t: int) -> float:
    r"""Closed form of :math:`L(\theta^t) - L^*` for gradient descent on a quadratic.

    With :math:`H = V \mathrm{diag}(\lambda_k) V^\top` and :math:`c = V^\top(\theta^0 -
    \theta^*)`, :math:`\theta^t - \theta^* = (I - \eta H)^t(\theta^0 - \theta^*)`, so

    .. math:: L(\theta^t) - L^* = \tfrac12 \sum_k \lambda_k (1 - \eta\lambda_k)^{2t} c_k^2.
    """
    lam, v = torch.linalg.eigh(h)
    c = v.T @ delta0
    return (0.5 * lam * (1 - eta * lam).pow(2 * t) * c.square()).sum().item()


def updates_to_reach(excess: Callable[[int], float], target: float) -> int:
    r"""The least :math:`t` with ``excess(t) <= target``, for an ``excess`` that does not
    increase with :math:`t` (doubling, then bisection)."""
    if excess(0) <= target:
        return 0
    hi = 1
    while excess(hi) > target:
        hi *= 2
    lo = hi // 2  # excess(lo) > target (or lo = 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if excess(mid) <= target:
            hi = mid
        else:
            lo = mid
    return hi


@dataclass
class FeatureScalingSettings(Settings):
    budget: int = 10000
    """Full-batch gradient-descent updates of each version (>= 10)."""
    lr_scale: float = 1.0
    """η = lr_scale / λ_max of each version's own loss Hessian (in (0, 2): stable)."""
    within: float = 0.01
    """Relative excess loss (L − L*)/L* that counts as converged (> 0)."""
    speedup: float = 10.0
    """Least ratio of updates (raw / standardized) that counts as 'far fewer' (> 1)."""
    feature: str = "bmi"
    """Feature whose weight, with the bias, spans the contour panels."""

    def validate(self) -> None:
        require(self.budget >= 10, "budget", ">= 10", self.budget)
        require(0 < self.lr_scale < 2, "lr_scale", "in (0, 2)", self.lr_scale)
        require(self.within > 0, "within", "> 0", self.within)
        require(self.speedup > 1, "speedup", "> 1", self.speedup)
        names = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
        require(self.feature in names, "feature", f"one of {', '.join(names)}", self.feature)

    @classmethod
    def quick(cls) -> FeatureScalingSettings:
        return cls(budget=1000)


def judge_feature_scaling(m: dict, s: FeatureScalingSettings) -> tuple[str, str]:
    raw, std = m["raw"], m["standardized"]
    std_ok = std["updates"] is not None
    raw_count = raw["updates"] if raw["updates"] is not None else s.budget
    ratio = raw_count / max(std["updates"] or 1, 1) if std_ok else 0.0
    rounder = std["condition_number"] < raw["condition_number"]
    held = std_ok and ratio >= s.speedup and rounder
    raw_text = (f"{raw['updates']}" if raw["updates"] is not None
                else f"> {s.budget} (not within budget; closed form: {raw['predicted_updates']})")
    return ("reproduced" if held else "not reproduced"), (
        f"updates of gradient descent (η = {s.lr_scale:g}/λ_max) to come within "
        f"{s.within:.0%} of the least-squares loss: standardized {std['updates']} "
        f"({'reached' if std_ok else 'NOT reached'}; closed form {std['predicted_updates']}), "
        f"raw {raw_text}; ratio >= {ratio:.0f} ({'>=' if ratio >= s.speedup else '<'} "
        f"{s.speedup:g}); Hessian condition number raw {raw['condition_number']:.3g} vs "
        f"standardized {std['condition_number']:.3g} ({'rounder' if rounder else 'NOT rounder'}"
        f" contours). Simulated vs closed-form relative excess after {s.budget} updates: raw "
        f"{raw['excess_at_budget']:.4g} vs {raw['predicted_excess_at_budget']:.4g}")


@experiment(name="feature-scaling", lecture=LECTURE, judge=judge_feature_scaling,
            claim="Gradient descent on standardized features needs far fewer updates than on "
                  "raw features, each with its largest safe learning rate, because "
                  "standardizing makes the error surface's contours rounder.")
def feature_scaling(s: FeatureScalingSettings, ctx: RunContext) -> Result:
    x_raw, y, names = raw_diabetes(ctx.seed)
    versions = {"raw": x_raw, "standardized": Standardizer().fit_transform(x_raw)}
    j = names.index(s.feature)
    metrics, curves = {}, {}
    for name, x in versions.items():
        h = mse_hessian(x)
        lam = torch.linalg.eigvalsh(h)
        eta = s.lr_scale / lam.max().item()
        theta_star, loss_star = least_squares(x, y)
        with ctx.trial(name) as t:
            model = LinearModel(x.shape[1]).double()
            with torch.no_grad():  # start from w = b = 0
                model.linear.weight.zero_()
                model.linear.bias.zero_()
            fit = t.fit(model, GradientDescent(model.parameters(), lr=eta), mse, (x, y), None,
                        TrainConfig(epochs=s.budget), fingerprint=s.to_dict(),
                        extra_metrics=lambda m, x=x: {
                            "loss": mse(m(x), y).item(), "w": m.linear.weight[0, j].item(),
                            "b": m.linear.bias.item()})
        losses = torch.tensor([y.square().mean().item()]  # L(θ⁰ = 0) = mean(y²)
                              + [h_["loss"] for h_ in fit.history], dtype=torch.float64)
        relative = (losses - loss_star) / loss_star  # (budget+1,): after 0, 1, ... updates

        def predicted(t_: int, h=h, eta=eta, theta_star=theta_star) -> float:
            return gd_excess_loss(h, -theta_star, eta, t_)

        metrics[name] = {
            "eta": eta, "lambda_max": lam.max().item(), "lambda_min": lam.min().item(),
            "condition_number": (lam.max() / lam.min()).item(), "least_squares_mse": loss_star,
            "updates": first_at_most(relative, s.within),
            "predicted_updates": updates_to_reach(predicted, s.within * loss_star),
            "excess_at_budget": relative[-1].item(),
            "predicted_excess_at_budget": predicted(s.budget) / loss_star,
        }
        curves[name] = {"relative": relative, "predicted": predicted, "loss_star": loss_star,
                        "h": h, "theta_star": theta_star, "w": [h_["w"] for h_ in fit.history],
                        "b": [h_["b"] for h_ in fit.history]}
    _plot_feature_scaling(ctx, s, metrics, curves, j)
    rows = [[n, v["condition_number"], v["eta"], v["updates"], v["predicted_updates"],
             v["excess_at_budget"]] for n, v in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        f"Diabetes (training split), linear regression by full-batch gradient descent from 0, "
        f"η = {s.lr_scale:g}/λ_max", ["features", "Hessian condition number", "η",
                                      f"updates to within {s.within:.0%} (measured)",
                                      "updates (closed form)",
                                      f"(L − L*)/L* after {s.budget}"], rows)])


def _plot_feature_scaling(ctx: RunContext, s: FeatureScalingSettings, metrics: dict,
                          curves: dict, j: int) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=3, size=(16, 4.6))
    ax = axes[0]
    for (name, c), colour in zip(curves.items(), ("tab:red", "tab:blue"), strict=True):
        t = torch.arange(1, len(c["relative"]))
        ax.plot(t.numpy(), c["relative"][1:].numpy(), color=colour, lw=1.5,
                label=f"{name} (measured)")
        end = max(metrics[name]["predicted_updates"], s.budget)
        grid = torch.unique(torch.logspace(0, math.log10(end), 200).round().long())
        ax.plot(grid.numpy(), [c["predicted"](int(k)) / c["loss_star"] for k in grid],
                color=colour, ls="--", lw=1, label=f"{name} (closed form)")
    ax.axhline(s.within, color="k", lw=0.8, ls=":", label=f"{s.within:.0%} of L*")
    ax.set(xscale="log", yscale="log", xlabel="update", ylabel="(L − L*) / L*",
           title="Gradient descent, η = 1/λ_max")
    ax.legend(fontsize=7)
    for ax, (name, c) in zip(axes[1:], curves.items(), strict=True):
        _contour_slice(ax, c, j, name)
    ctx.save_figure(fig, "feature_scaling",
                    "Left: relative excess loss per update on raw and standardized diabetes "
                    "features (solid measured, dashed closed form). Middle/right: contours of "
                    f"L over (w_{s.feature}, b), other weights at the optimum, same scale on "
                    "both axes, with the gradient-descent path")


def _contour_slice(ax, c: dict, j: int, name: str) -> None:
    r"""Level sets :math:`\frac12 \delta^\top B \delta = \ell L^*` of the loss over
    :math:`\delta = (w_j, b) - (w_j^*, b^*)`, drawn exactly as ellipses
    :math:`\delta(\phi) = V \mathrm{diag}(\sqrt{2\ell L^*/\lambda_k})(\cos\phi,
    \sin\phi)` (a grid would not resolve the raw features' thin valley)."""
    h, theta_star = c["h"], c["theta_star"]
    idx = [j, h.shape[0] - 1]  # (w_j, b)
    block = h[idx][:, idx]  # (2, 2)
    lam, v = torch.linalg.eigh(block)
    centre = theta_star[idx]
    phi = torch.linspace(0, 2 * math.pi, 400, dtype=torch.float64)
    circle = torch.stack([phi.cos(), phi.sin()])  # (2, 400)
    for level, colour in zip((0.01, 0.1, 1.0, 10.0), ("#440154", "#31688e", "#35b779",
                                                     "#fde725"), strict=True):
        ellipse = centre[:, None] + v @ ((2 * level * c["loss_star"] / lam).sqrt()[:, None]
                                         * circle)  # (2, 400)
        ax.plot(ellipse[0].numpy(), ellipse[1].numpy(), color=colour, lw=1.2,
                label=f"(L − L*)/L* = {level:g}")
    r = 1.1 * max(math.sqrt(2 * c["loss_star"] / lam.min().item()), centre.norm().item())
    ax.plot([0.0] + c["w"], [0.0] + c["b"], color="tab:red", lw=1, label="GD path from 0")
    ax.plot(centre[0].item(), centre[1].item(), "k*", ms=10, label="optimum")
    ax.set(xlim=(centre[0].item() - r, centre[0].item() + r),
           ylim=(centre[1].item() - r, centre[1].item() + r), aspect="equal",
           xlabel="w (feature weight)", ylabel="b", title=f"{name}: slice through the optimum")
    ax.legend(fontsize=6)
