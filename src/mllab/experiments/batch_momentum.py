r"""Lecture 2, "Batch and momentum": how the size of a batch and the memory of past movements
change where gradient descent ends.

- ``momentum``: on a 1-D loss curve with a shallow local minimum in front of a deeper one,
  plain gradient descent stops where the gradient vanishes, while gradient descent with
  momentum (the course's :math:`m \leftarrow \lambda m - \eta g`, :math:`\theta \leftarrow
  \theta + m`, :class:`mllab.optim.Momentum`) rolls over the bump, like a ball with inertia.
- ``batch-size``: on digits, time per epoch for batch sizes 1 to full batch, then the
  accuracy and sharpness of the minima that small and large batches reach.

Differences from the course: the lecture draws a hand-made curve; here the curve is a
SYNTHETIC formula (a bowl with a Gaussian bump on its slope, :func:`bowl_with_bump`), chosen
once so that it has the lecture's shape. The batch-size experiment compares small and full
batches at an equal number of updates (see its settings).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn

from mllab.analysis import epsilon_sharpness, top_hessian_eigenvalue
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, require, table
from mllab.experiments.context import RunContext
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import MLP, MLPConfig
from mllab.optim import GradientDescent, Momentum
from mllab.train import TrainConfig, derive_seed

LECTURE = "Batch and momentum"


# --------------------------------------------------------------------------------- momentum
def bowl_with_bump(theta: Tensor, *, a: float, c: float, h: float, b: float,
                   w: float) -> Tensor:
    r"""A 1-D loss with a shallow local minimum in front of a deeper one (SYNTHETIC).

    .. math:: L(\theta) = \tfrac12 a (\theta - c)^2 + h \exp\!\Big(-\frac{(\theta - b)^2}
        {2 w^2}\Big)

    A bowl of curvature :math:`a` centred at :math:`c` carries a Gaussian bump of height
    :math:`h` and width :math:`w` at :math:`b`. Where the bump's rise is steeper than the
    bowl's slope, a local minimum forms just before the bump.
    """
    return 0.5 * a * (theta - c).square() + h * torch.exp(-(theta - b).square() / (2 * w * w))


def critical_points(loss: Callable[[Tensor], Tensor], lo: float, hi: float,
                    n: int = 20001) -> list[dict]:
    r"""Points of :math:`[lo, hi]` where :math:`L'(\theta) = 0`, found on a grid and refined.

    :math:`L'` comes from autograd; each sign change between neighbouring grid points (a
    zero on a grid point included) is refined by 60 bisections. A change from :math:`-` to
    :math:`+` is a minimum, from :math:`+` to :math:`-` a maximum (a zero without a sign
    change, such as an inflection saddle, is not found).

    Returns:
        ``[{"theta", "loss", "kind"}]`` in increasing :math:`\theta`, kind ``"minimum"`` or
        ``"maximum"``.
    """
    def slope(theta: Tensor) -> Tensor:
        theta = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(theta).sum(), theta)
        return g

    grid = torch.linspace(lo, hi, n, dtype=torch.float64)  # (n,)
    g = slope(grid)
    points = []
    # A change of sign between grid[i] and grid[i+1]; a zero on grid[i+1] counts there.
    changes = ((g[:-1] < 0) & (g[1:] >= 0)) | ((g[:-1] > 0) & (g[1:] <= 0))
    for i in torch.nonzero(changes).flatten().tolist():
        left, right = grid[i].clone(), grid[i + 1].clone()
        rising = bool(g[i] < 0)  # − to +: a minimum
        for _ in range(60):
            mid = (left + right) / 2
            if (slope(mid) < 0) == rising:
                left = mid
            else:
                right = mid
        theta = (left + right) / 2
        points.append({"theta": theta.item(), "loss": loss(theta).item(),
                       "kind": "minimum" if rising else "maximum"})
    return points


class CurvePoint(nn.Module):
    r"""The parameters :math:`\theta` of a loss curve (a scalar) or surface (a vector).

    ``forward(x)`` ignores the values of ``x`` and returns :math:`L(\theta)` once per row,
    shape (B,), so that the Trainer can minimise the curve with :func:`curve_value` on a
    dummy dataset of one example.
    """

    def __init__(self, theta0: float | tuple[float, ...],
                 loss: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.loss = loss
        self.theta = nn.Parameter(torch.tensor(theta0, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return self.loss(self.theta).expand(len(x))  # (B,)


def curve_value(prediction: Tensor, target: Tensor) -> Tensor:
    r"""The "loss function" of a :class:`CurvePoint`: the curve's value itself."""
    return prediction.mean()


def descend(loss: Callable[[Tensor], Tensor], theta0: float,
            make_optimizer: Callable[[list[Tensor]], torch.optim.Optimizer],
            steps: int) -> float:
    r"""``steps`` full-batch updates of a 1-D curve from ``theta0``; returns the final
    :math:`\theta` (a plain loop, for sweeps that need no checkpoints)."""
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([theta])
    for _ in range(steps):
        optimizer.zero_grad()
        loss(theta).backward()
        optimizer.step()
    return theta.item()


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
    points = critical_points(curve, min(s.theta0, *s.sweep_starts) - 2, s.center + 4)
    dummy = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))
    methods = {"gradient-descent": lambda p: GradientDescent(p, lr=s.lr),
               "momentum": lambda p: Momentum(p, lr=s.lr, momentum=s.momentum)}
    metrics, paths = {}, {}
    for name, make in methods.items():
        with ctx.trial(name) as t:
            model = CurvePoint(s.theta0, curve)
            fit = t.fit(model, make(model.parameters()), curve_value, dummy, None,
                        TrainConfig(epochs=s.steps), fingerprint=s.to_dict(),
                        extra_metrics=lambda m: {"theta": m.theta.item()})
        theta = model.theta.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(curve(theta), theta)
        metrics[name] = {"theta": theta.item(), "loss": curve(theta).item(),
                         "grad_abs": g.abs().item(), "nearest": _nearest(theta.item(), points)}
        paths[name] = [s.theta0] + [h["theta"] for h in fit.history]
    with ctx.trial("sweep") as t:
        metrics["sweep"] = t.record("sweep", lambda: _sweep(s, curve, points))
    metrics["critical_points"] = points
    _plot_momentum(ctx, s, curve, points, paths)
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


def _sweep(s: MomentumSettings, curve, points: list[dict]) -> dict:
    local = [p for p in points if p["kind"] == "minimum"]
    local = min(local, key=lambda p: p["theta"])["theta"] if len(local) > 1 else None
    rows = []
    for theta0 in s.sweep_starts:
        for lr in s.sweep_lrs:
            gd = descend(curve, theta0, lambda p, lr=lr: GradientDescent(p, lr=lr), s.steps)
            mom = descend(curve, theta0, lambda p, lr=lr: Momentum(p, lr=lr,
                                                                  momentum=s.momentum), s.steps)
            rows.append({"theta0": theta0, "lr": lr, "gd_theta": gd,
                         "gd_loss": curve(torch.tensor(gd, dtype=torch.float64)).item(),
                         "momentum_theta": mom,
                         "momentum_loss": curve(torch.tensor(mom, dtype=torch.float64)).item()})
    return {"runs": len(rows), "rows": rows,
            "momentum_lower": sum(r["momentum_loss"] < r["gd_loss"] for r in rows),
            "gd_in_local_minimum": sum(local is not None and abs(r["gd_theta"] - local) < 1e-2
                                       for r in rows)}


def _plot_momentum(ctx: RunContext, s: MomentumSettings, curve, points: list[dict],
                   paths: dict) -> None:
    from mllab.report import new_figure

    every = [v for path in paths.values() for v in path]
    grid = torch.linspace(min(every) - 0.5, max(every) + 0.5, 600, dtype=torch.float64)
    fig, axes = new_figure(ncols=2, size=(11, 4.2))
    ax = axes[0]
    ax.plot(grid.numpy(), curve(grid).numpy(), color="0.3", lw=1.5, label="L(θ)")
    styles = {"gradient-descent": ("tab:blue", "o"), "momentum": ("tab:red", ".")}
    for name, path in paths.items():
        colour, marker = styles[name]
        theta = torch.tensor(path, dtype=torch.float64)
        ax.plot(theta.numpy(), curve(theta).numpy(), marker=marker, ms=4, lw=0.6,
                color=colour, alpha=0.7, label=name)
        ax.plot(path[-1], curve(theta[-1]).item(), marker="*", ms=14, color=colour,
                markeredgecolor="k")
    ax.set(xlabel="θ", ylabel="L(θ)", title=f"Paths from θ0 = {s.theta0:g}, η = {s.lr:g}")
    ax.legend(fontsize=8)
    ax = axes[1]
    for name, path in paths.items():
        ax.plot(range(len(path)), path, color=styles[name][0], lw=1.2, label=name)
    for p in points:
        ax.axhline(p["theta"], color="0.5", lw=0.8, ls=":" if p["kind"] == "maximum" else "--")
    ax.set_xscale("symlog", linthresh=10)
    ax.set(xlabel="update", ylabel="θ", xlim=(0, len(path)),
           title="θ per update (dashed: minima, dotted: maximum)")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "momentum_paths",
                    "Left: the SYNTHETIC loss curve with the iterates of gradient descent and "
                    "of momentum (stars: final points). Right: θ per update; gradient descent "
                    "stops in the local minimum, momentum rolls over the bump")


# ------------------------------------------------------------------------------- batch size
# ``batch-size``: on scikit-learn's digits, (a) the wall time of one update and of one epoch
# for batch sizes 1, 10, 100, 1000 and full batch (the lecture: with parallel computation a
# larger batch needs about as long per update, so an epoch takes less time); then (b) the
# validation and test accuracy and (c) the sharpness (top Hessian eigenvalue of the training
# loss, Keskar et al. 2017, arXiv:1609.04836) of the minima reached by small and large batches.
#
# Protocol: a one-hidden-layer ReLU network, plain SGD with the same learning rate for both
# batch sizes and, for each repeat, the same initial weights. The small batch runs
# ``small_epochs`` epochs and the large batch makes the SAME NUMBER OF UPDATES (so many more
# epochs; with equal epochs full batch would simply be undertrained, cf. Hoffer et al. 2017,
# arXiv:1705.08741). Both must reach ``converged_accuracy`` on the training data, else (b) and
# (c) are inconclusive. Timing runs in its own pass (a hand-written loop: forward, backward,
# step; no logging) on a fresh network, stored with ``t.record``; it is never part of a
# checkpoint. Times are wall-clock: they differ between runs and machines, unlike everything
# else in a run. mllab runs use one thread by default, so "parallel" here means vectorized
# work inside one core.
#
# Differences from the course: the lecture times MNIST on a GPU, where an update of batch
# 1000 costs about as much as one of batch 1; on one CPU thread the update's time grows with
# the batch (less than proportionally), which the table shows. The lecture's large-batch runs
# are not full batch; here "large" is full batch by default (``large_batch``).


@dataclass
class BatchSizeSettings(Settings):
    timed_batch_sizes: tuple[int, ...] = (1, 10, 100, 1000)
    """Batch sizes whose update and epoch are timed, increasing (each >= 1); full batch is
    always timed after them."""
    timing_epochs: int = 5
    """Epochs timed per batch size, after one untimed warm-up epoch; the median counts (>= 1)."""
    width: int = 32
    """Hidden ReLU units of the network 64 → width → 10 (>= 1)."""
    lr: float = 0.1
    """SGD learning rate, the same for every batch size (> 0)."""
    small_batch: int = 10
    """The small batch size (>= 1)."""
    large_batch: int | None = None
    """The large batch size (> small_batch); None means full batch."""
    small_epochs: int = 30
    """Epochs of each small-batch run; the large-batch run makes as many updates (>= 1)."""
    repeats: int = 3
    """Initializations (and batch orders) per batch size; means and spreads are reported (>= 2)."""
    converged_accuracy: float = 0.99
    """Training accuracy both batch sizes must reach for (b) and (c) to be judged, in (0, 1]."""
    lanczos_iterations: int = 20
    """Lanczos steps (Hessian-vector products) for the top Hessian eigenvalue (>= 2)."""
    sharpness_eps: float = 1e-3
    """Box size of Keskar's ε-sharpness, reported for information (> 0)."""
    timing_tolerance: float = 0.1
    """An epoch of a larger batch may take up to this fraction longer than one of the next
    smaller batch and still count as "not slower" (timing noise; >= 0)."""

    def validate(self) -> None:
        sizes = list(self.timed_batch_sizes)
        require(len(sizes) >= 2 and min(sizes) >= 1 and sizes == sorted(set(sizes)),
                "timed_batch_sizes", "two or more increasing integers >= 1", self.timed_batch_sizes)
        for name, least in (("timing_epochs", 1), ("width", 1), ("small_batch", 1),
                            ("small_epochs", 1), ("repeats", 2), ("lanczos_iterations", 2)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.large_batch is None or self.large_batch > self.small_batch, "large_batch",
                "None (full batch) or > small_batch", self.large_batch)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0 < self.converged_accuracy <= 1, "converged_accuracy", "in (0, 1]",
                self.converged_accuracy)
        require(self.sharpness_eps > 0, "sharpness_eps", "> 0", self.sharpness_eps)
        require(self.timing_tolerance >= 0, "timing_tolerance", ">= 0", self.timing_tolerance)

    @classmethod
    def quick(cls) -> BatchSizeSettings:
        return cls(timing_epochs=2, small_epochs=8, repeats=2)


def updates_per_epoch(n: int, batch: int | None) -> int:
    r"""Updates in one epoch of ``n`` examples: :math:`\lceil n / B \rceil` (1 for full batch)."""
    return 1 if batch is None else math.ceil(n / min(batch, n))


def mean_and_spread(values: list[float]) -> tuple[float, float]:
    r"""Mean and sample standard deviation (0 for one value)."""
    v = torch.tensor(values, dtype=torch.float64)
    return float(v.mean()), float(v.std()) if len(values) > 1 else 0.0


def time_batch_sizes(model: nn.Module, loss_fn, x: Tensor, y: Tensor,
                     batch_sizes: list[int | None], *, lr: float, epochs: int,
                     generator: torch.Generator) -> dict:
    r"""Median wall time of one epoch of SGD for each batch size (``None``: full batch).

    Each batch size starts from the same weights, runs one untimed warm-up epoch, then
    ``epochs`` timed epochs of: shuffle, then per batch forward, loss, backward, step.

    Returns:
        ``{"epoch_seconds": [...], "update_seconds": [...], "updates_per_epoch": [...]}``,
        in the order of ``batch_sizes``; an update's time is the epoch's over its updates.
    """
    import statistics
    import time

    start = {k: v.clone() for k, v in model.state_dict().items()}
    n = len(x)
    out: dict[str, list] = {"epoch_seconds": [], "update_seconds": [], "updates_per_epoch": []}
    for batch in batch_sizes:
        model.load_state_dict(start)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        b = n if batch is None else min(batch, n)
        seconds = []
        for epoch in range(epochs + 1):
            begin = time.perf_counter()
            order = torch.randperm(n, generator=generator)  # (N,)
            for i in range(0, n, b):
                idx = order[i:i + b]
                loss = loss_fn(model(x[idx]), y[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            if epoch:  # epoch 0 warms up
                seconds.append(time.perf_counter() - begin)
        per_epoch = statistics.median(seconds)
        out["epoch_seconds"].append(per_epoch)
        out["update_seconds"].append(per_epoch / updates_per_epoch(n, batch))
        out["updates_per_epoch"].append(updates_per_epoch(n, batch))
    return out


def judge_batch_size(m: dict, s: BatchSizeSettings) -> tuple[str, str]:
    timing, runs = m["timing"], m["summary"]
    labels, seconds = timing["batch_sizes"], timing["epoch_seconds"]
    steps_ok = [b <= a * (1 + s.timing_tolerance) for a, b in zip(seconds, seconds[1:],
                                                                   strict=False)]
    faster = all(steps_ok) and seconds[-1] < seconds[0]
    small, large = runs["small"], runs["large"]
    converged = min(small["train_accuracy"][0], large["train_accuracy"][0]) >= \
        s.converged_accuracy
    accurate = small["valid_accuracy"][0] > large["valid_accuracy"][0] and \
        small["test_accuracy"][0] > large["test_accuracy"][0]
    sharper = large["lambda_max"][0] > small["lambda_max"][0]

    def pm(run: dict, key: str, fmt: str = ".4f") -> str:
        return f"{run[key][0]:{fmt}} ± {run[key][1]:{fmt}}"

    epoch_text = ", ".join(f"{b}: {t * 1e3:.3g} ms" for b, t in zip(labels, seconds,
                                                                    strict=True))
    a_text = (f"(a) time per epoch {epoch_text} ({'never' if all(steps_ok) else 'NOT always'} "
              f"more than {s.timing_tolerance:.0%} slower for a larger batch; full batch "
              f"{'faster' if seconds[-1] < seconds[0] else 'NOT faster'} than batch "
              f"{labels[0]}): {'holds' if faster else 'fails'}")
    sb, lb = small["label"], large["label"]
    b_text = (f"(b) batch {sb} vs {lb}, mean ± sd over {s.repeats} repeats with "
              f"{small['updates']} updates each: validation accuracy {pm(small, 'valid_accuracy')}"
              f" vs {pm(large, 'valid_accuracy')}, test accuracy {pm(small, 'test_accuracy')} vs "
              f"{pm(large, 'test_accuracy')}: {'holds' if accurate else 'fails'}")
    c_text = (f"(c) top Hessian eigenvalue of the training loss {pm(small, 'lambda_max', '.3g')} "
              f"vs {pm(large, 'lambda_max', '.3g')}: {'holds' if sharper else 'fails'} "
              f"(final training loss {pm(small, 'train_loss', '.3g')} vs "
              f"{pm(large, 'train_loss', '.3g')}; λ_max / training loss "
              f"{pm(small, 'lambda_max_per_loss', '.3g')} vs "
              f"{pm(large, 'lambda_max_per_loss', '.3g')}; ε-sharpness "
              f"{pm(small, 'epsilon_sharpness', '.3g')} vs {pm(large, 'epsilon_sharpness', '.3g')}"
              f" %, for information)")
    conv_text = (f"training accuracy {pm(small, 'train_accuracy')} vs "
                 f"{pm(large, 'train_accuracy')} ({'both' if converged else 'NOT both'} >= "
                 f"{s.converged_accuracy:g})")
    text = "; ".join([a_text, b_text, c_text, conv_text])
    if not faster:
        return "not reproduced", text
    if not converged:
        return "inconclusive", text + "; (b) and (c) need both runs converged"
    return ("reproduced" if accurate and sharper else "not reproduced"), text


@experiment(name="batch-size", lecture=LECTURE, judge=judge_batch_size,
            claim="With parallel computation a larger batch takes less time per epoch; yet small "
                  "batches reach better validation and test accuracy, and the minima that large "
                  "batches reach are sharper.")
def batch_size(s: BatchSizeSettings, ctx: RunContext) -> Result:

    split = load_dataset("digits", seed=ctx.seed)
    train = (split.x_train, split.y_train)
    n = len(split.x_train)
    sizes: list[int | None] = [*s.timed_batch_sizes, None]
    with ctx.trial("timing") as t:
        timing = t.record("seconds", lambda: time_batch_sizes(
            _batch_network(s), cross_entropy, *train, sizes, lr=s.lr, epochs=s.timing_epochs,
            generator=ctx.generator("timing-batches")))
    timing["batch_sizes"] = [_batch_label(b, n) for b in sizes]
    updates = s.small_epochs * updates_per_epoch(n, s.small_batch)
    plan = {"small": (s.small_batch, s.small_epochs),
            "large": (s.large_batch, math.ceil(updates / updates_per_epoch(n, s.large_batch)))}
    runs: dict[str, list[dict]] = {"small": [], "large": []}
    curves: dict[str, list[list[float]]] = {"small": [], "large": []}
    for r in range(s.repeats):
        init = _initial_weights(ctx, s, r)
        for which, (batch, epochs) in plan.items():
            name = f"batch-{'full' if batch is None else batch}-r{r}"
            run, curve = _train_batch(ctx, s, name, init, batch, epochs, split)
            runs[which].append(run)
            curves[which].append(curve)
    summary = {which: _summarize_runs(rs, _batch_label(plan[which][0], n), updates)
               for which, rs in runs.items()}
    _plot_batch_timing(ctx, timing)
    _plot_batch_minima(ctx, s, summary, runs, curves, plan, n)
    return Result(metrics={"timing": timing, "summary": summary, "runs": runs},
                  tables=_batch_tables(s, timing, summary, runs))


def _batch_label(batch: int | None, n: int) -> str:
    return f"full ({n})" if batch is None else str(batch)


def _batch_network(s: BatchSizeSettings) -> nn.Module:

    return MLP(MLPConfig(in_features=64, out_features=10, depth=1, width=s.width,
                         activation="relu"))


def _initial_weights(ctx: RunContext, s: BatchSizeSettings, r: int) -> dict:
    r"""The initial weights of repeat ``r``, shared by its small- and large-batch runs."""

    with torch.random.fork_rng():
        torch.manual_seed(derive_seed(ctx.seed, f"init-{r}"))
        return _batch_network(s).state_dict()


def _train_batch(ctx: RunContext, s: BatchSizeSettings, name: str, init: dict,
                 batch: int | None, epochs: int, split) -> tuple[dict, list[float]]:
    r"""Train one network with SGD, then measure its accuracy and sharpness."""

    x, y = split.x_train, split.y_train
    with ctx.trial(name) as t:
        model = _batch_network(s)
        model.load_state_dict(init)
        fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=s.lr), cross_entropy, (x, y),
                    (split.x_valid, split.y_valid), TrainConfig(epochs=epochs, batch_size=batch),
                    fingerprint=s.to_dict())
        model.eval()

        def evaluate() -> dict:
            with torch.no_grad():
                acc = {part: accuracy(model(xs), ys)
                       for part, xs, ys in (("train", x, y),
                                            ("valid", split.x_valid, split.y_valid),
                                            ("test", split.x_test, split.y_test))}
                train_loss = cross_entropy(model(x), y).item()
            return {
                "epochs": epochs, "updates": fit.steps, "train_loss": train_loss,
                "train_accuracy": acc["train"], "valid_accuracy": acc["valid"],
                "test_accuracy": acc["test"],
                "lambda_max": top_hessian_eigenvalue(
                    model, cross_entropy, x, y, iterations=s.lanczos_iterations,
                    generator=ctx.generator(f"{name}/lanczos")),
                "epsilon_sharpness": epsilon_sharpness(
                    model, cross_entropy, x, y, eps=s.sharpness_eps,
                    generator=ctx.generator(f"{name}/epsilon")),
            }

        run = t.record("evaluation", evaluate)
    return run, [h["train_loss"] for h in fit.history]


def _summarize_runs(runs: list[dict], label: str, updates: int) -> dict:
    keys = ("train_loss", "train_accuracy", "valid_accuracy", "test_accuracy", "lambda_max",
            "epsilon_sharpness")
    return {"label": label, "updates": updates, "epochs": runs[0]["epochs"],
            **{k: mean_and_spread([r[k] for r in runs]) for k in keys},
            "lambda_max_per_loss": mean_and_spread([r["lambda_max"] / r["train_loss"]
                                                    for r in runs])}


def _batch_tables(s: BatchSizeSettings, timing: dict, summary: dict, runs: dict) -> list[dict]:
    time_rows = [[b, u, e * 1e3, t * 1e3] for b, u, e, t in zip(
        timing["batch_sizes"], timing["updates_per_epoch"], timing["epoch_seconds"],
        timing["update_seconds"], strict=True)]
    keys = ("train_loss", "train_accuracy", "valid_accuracy", "test_accuracy", "lambda_max",
            "epsilon_sharpness")
    summary_rows = [[v["label"], v["epochs"], v["updates"],
                     *(f"{v[k][0]:.4g} ± {v[k][1]:.2g}" for k in keys)]
                    for v in summary.values()]
    run_rows = [[summary[which]["label"], r, *(run[k] for k in keys)]
                for which in ("small", "large") for r, run in enumerate(runs[which])]
    columns = ["train loss", "train accuracy", "valid accuracy", "test accuracy",
               "λ_max(H)", "ε-sharpness (%)"]
    return [
        table(f"Wall time with one hidden layer of {s.width} units (median of "
              f"{s.timing_epochs} epochs)",
              ["batch size", "updates per epoch", "ms per epoch", "ms per update"], time_rows),
        table(f"Minima reached (mean ± sd over {s.repeats} repeats, SGD lr {s.lr:g}, same "
              f"number of updates)", ["batch size", "epochs", "updates", *columns],
              summary_rows),
        table("Every run", ["batch size", "repeat", *columns], run_rows),
    ]


def _plot_batch_timing(ctx: RunContext, timing: dict) -> None:
    from mllab.report import new_figure

    labels = timing["batch_sizes"]
    fig, axes = new_figure(ncols=2, size=(10, 3.8))
    for ax, key, title in ((axes[0], "update_seconds", "Time for one update"),
                           (axes[1], "epoch_seconds", "Time for one epoch")):
        ax.plot(range(len(labels)), [v * 1e3 for v in timing[key]], "o-")
        if key == "epoch_seconds":
            ax.set_yscale("log")
        else:
            ax.set_ylim(0, 1.2e3 * max(timing[key]))
        ax.set_xticks(range(len(labels)), labels)
        ax.set(xlabel="batch size", title=title,
               ylabel="milliseconds" + (" (log scale)" if key == "epoch_seconds" else ""))
    ctx.save_figure(fig, "batch_timing", "Measured wall time of one SGD update and of one epoch "
                    "on digits for each batch size (one CPU thread, median of the timed epochs)")


def _plot_batch_minima(ctx: RunContext, s: BatchSizeSettings, summary: dict, runs: dict,
                       curves: dict, plan: dict, n: int) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=3, size=(15, 4))
    colours = {"small": "tab:blue", "large": "tab:orange"}
    ax = axes[0]
    for which, rs in curves.items():
        per_epoch = updates_per_epoch(n, plan[which][0])
        for r, losses in enumerate(rs):
            steps = [per_epoch * (e + 1) for e in range(len(losses))]
            ax.plot(steps, losses, color=colours[which], lw=1, alpha=0.8,
                    label=f"batch {summary[which]['label']}" if r == 0 else None)
    ax.set_yscale("log")
    ax.set(xlabel="update", ylabel="training loss (epoch mean)", title="Training")
    ax.legend(fontsize=8)
    for ax, keys, title in ((axes[1], ("valid_accuracy", "test_accuracy"), "Accuracy"),
                            (axes[2], ("lambda_max",), "Sharpness λ_max(H), training loss")):
        for k, key in enumerate(keys):
            for j, which in enumerate(("small", "large")):
                pos = k * 3 + j
                values = [run[key] for run in runs[which]]
                ax.bar(pos, summary[which][key][0], color=colours[which], alpha=0.5,
                       label=f"batch {summary[which]['label']}" if k == 0 else None)
                ax.plot([pos] * len(values), values, "k.", ms=6)
        ax.set_xticks([k * 3 + 0.5 for k in range(len(keys))],
                      [{"lambda_max": "λ_max(H)"}.get(key, key.replace("_", " "))
                       for key in keys])
        if key != "lambda_max":
            low = min(run[kk] for kk in keys for rs in runs.values() for run in rs)
            ax.set_ylim(max(0.0, low - 0.02), 1.0)
        ax.set(title=title)
        ax.legend(fontsize=8)
    ctx.save_figure(fig, "batch_minima", f"Small batch ({summary['small']['label']}) vs large "
                    f"batch ({summary['large']['label']}) with the same number of SGD updates: "
                    "training loss, accuracy (bars: mean, dots: repeats) and the top Hessian "
                    "eigenvalue of the training loss at the end")
