r"""Figures of the batch-size and momentum experiments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from mllab.data import updates_per_epoch
from mllab.experiments.context import RunContext

if TYPE_CHECKING:
    from mllab.experiments.batch_momentum.batch_size import BatchSizeSettings
    from mllab.experiments.batch_momentum.momentum import MomentumSettings


def plot_momentum(ctx: RunContext, s: MomentumSettings, curve, points: list[dict],
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


def plot_batch_timing(ctx: RunContext, timing: dict) -> None:
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


def plot_batch_minima(ctx: RunContext, s: BatchSizeSettings, summary: dict, runs: dict,
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
    for ax, keys, title in ((axes[1], ("validation_accuracy", "test_accuracy"), "Accuracy"),
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
