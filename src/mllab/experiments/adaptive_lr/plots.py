r"""Figures of the adaptive-learning-rate and feature-scaling experiments."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from mllab.analysis import elongated_bowl
from mllab.experiments.context import RunContext

if TYPE_CHECKING:
    from mllab.experiments.adaptive_lr.adaptive_lr import AdaptiveSettings
    from mllab.experiments.adaptive_lr.feature_scaling import FeatureScalingSettings


def plot_trajectories(ctx: RunContext, s: AdaptiveSettings, paths: dict) -> None:
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


def plot_steps(ctx: RunContext, s: AdaptiveSettings, paths: dict,
               adagrads: tuple[str, ...]) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=3, size=(16, 4.4))
    for name, path in paths.items():
        axes[0].plot(path.norm(dim=1).clamp_min(1e-16).numpy(), lw=1, label=name)
    axes[0].axhline(s.tol, color="k", ls="--", lw=0.8)
    axes[0].set(yscale="log", xlabel="update", ylabel="‖θ − θ*‖",
                title="Distance to the minimum (dashed: tol)")
    axes[0].legend(fontsize=6)
    for ax, i, axis in ((axes[1], 1, "θ2 (steep)"), (axes[2], 0, "θ1 (flat)")):
        for name in adagrads:
            step = (paths[name][1:, i] - paths[name][:-1, i]).abs().clamp_min(1e-16)
            ax.plot(step.numpy(), lw=0.8, label=name)
        ax.set(yscale="log", ylim=(1e-12, 10), xlabel="update",
               ylabel=f"|Δ{axis.split()[0]}|", title=f"Adagrad step sizes along {axis}")
        ax.legend(fontsize=6)
    ctx.save_figure(fig, "step_sizes",
                    "Left: distance to the minimum per update, every method. Middle and right: "
                    "size of each Adagrad step along the steep and the flat axis; the spikes "
                    "that follow a quiet stretch are the bursts")


def plot_feature_scaling(ctx: RunContext, s: FeatureScalingSettings, metrics: dict,
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
