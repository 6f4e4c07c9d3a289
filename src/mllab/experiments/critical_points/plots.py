r"""Figures of the critical-points experiment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from mllab.experiments.context import RunContext

if TYPE_CHECKING:
    from mllab.experiments.critical_points.critical_points import CriticalPointSettings


def plot_study(ctx: RunContext, s: CriticalPointSettings, points: list[dict],
               studies: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6.5, 4.6))
    kept = [p for p in points if p["kind"] != "not critical"]
    dropped = [p for p in points if p["kind"] == "not critical"]
    if dropped:
        ax.scatter([p["minimum_ratio"] for p in dropped], [p["loss"] for p in dropped],
                   marker="x", s=18, color="0.65",
                   label=f"not critical (||g|| >= {s.grad_tol:g}), {len(dropped)}")
    colours = ["tab:red" if p["negative"] == 0 else "tab:blue" for p in kept]
    ax.scatter([p["minimum_ratio"] for p in kept], [p["loss"] for p in kept], s=22,
               c=colours, label=f"critical point, {len(kept)}")
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set(xlabel="minimum ratio (share of positive eigenvalues)", ylabel="training loss (MSE)",
           title="Spearman ρ per study: " + ", ".join(f"{st['spearman']:.2f}" for st in studies))
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "minimum_ratio_vs_loss",
                    "Training loss against minimum ratio at the points reached by minimizing "
                    "||g||² in every study, the lecture's empirical-study figure (blue: at "
                    "least one negative "
                    "eigenvalue; red: none; grey crosses: gradient not small enough)")


def plot_demo(ctx: RunContext, s: CriticalPointSettings, curves: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4.2))
    ax = axes[0]
    grid = torch.linspace(-2, 2, 201, dtype=torch.float64)
    W1, W2 = torch.meshgrid(grid, grid, indexing="xy")  # (201, 201)
    L = (1 - W1 * W2).square()  # (201, 201)
    cs = ax.contour(W1.numpy(), W2.numpy(), L.numpy(), levels=[0.05, 0.25, 0.5, 1, 2, 4, 8],
                    cmap="viridis")
    ax.clabel(cs, fontsize=7)
    u = curves["u"]
    ax.plot([-2 * u[0], 2 * u[0]], [-2 * u[1], 2 * u[1]], "k:", lw=1,
            label="eigenvector of λ < 0")
    path = torch.tensor(curves["path"])
    ax.plot(path[:, 0].numpy(), path[:, 1].numpy(), ".-", color="tab:red", ms=3, lw=1,
            label="escape step, then gradient descent")
    ax.plot([0.0], [0.0], "k*", ms=12, label="saddle w1 = w2 = 0")
    ax.set(xlabel="w1", ylabel="w2", title="L(w1, w2) = (1 - w1 w2)²", aspect="equal")
    ax.legend(fontsize=7, loc="upper left", framealpha=0.9)
    ax = axes[1]
    ax.plot(range(len(curves["stalled"])), curves["stalled"], color="k",
            label="gradient descent from the saddle")
    ax.plot(range(len(curves["escaped"])), curves["escaped"], color="tab:red",
            label="after one escape step")
    ax.set(xlabel="gradient-descent step", ylabel="loss",
           title=f"lr {s.demo_lr:g}: stalled vs escaped")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "saddle_escape",
                    "The lecture's network y = w2·w1·x with (x, ŷ) = (1, 1): at w1 = w2 = 0 the "
                    "gradient is zero and gradient descent never moves; one step along the "
                    "eigenvector of the negative eigenvalue, then gradient descent, reaches "
                    "the valley w1·w2 = 1")
