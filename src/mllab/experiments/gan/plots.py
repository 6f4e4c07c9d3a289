r"""Figures of the GAN lectures' experiments."""

from __future__ import annotations

import math


def plot_divergences(ctx, s, forms: list[dict], runs: list[dict]) -> None:
    r"""``js-divergence``: JS and W against the distance, closed forms and estimates."""
    from mllab.report import new_figure

    fig, (left, right) = new_figure(ncols=2, size=(10, 4))
    theta = [r["theta"] for r in forms]
    left.plot(theta, [r["js"] for r in forms], "-", color="tab:blue",
              label="JS, closed form (uniforms)")
    left.plot(theta, [r["js_samples"] for r in forms], "o", color="tab:blue", ms=4,
              label="JS, histogram of samples")
    right.plot(theta, [r["w1"] for r in forms], "-", color="tab:red", label="W1, closed form")
    right.plot(theta, [r["w1_samples"] for r in forms], "o", color="tab:red", ms=4,
               label="W1, empirical")
    for run in runs:
        left.plot(s.shifts, [v["js_hat"] for v in run["js"]], "s", color="tab:green", ms=4,
                  alpha=0.6)
        right.plot(s.shifts, [v["w_hat"] for v in run["w"]], "s", color="tab:green", ms=4,
                   alpha=0.6)
    left.plot([], [], "s", color="tab:green", label="discriminator's estimate (Gaussians)")
    right.plot([], [], "s", color="tab:green", label="WGAN-GP critic's estimate (Gaussians)")
    left.axhline(math.log(2), color="grey", ls=":", lw=1)
    left.set(xlabel="distance between the distributions", ylabel="nats",
             title="JS divergence: log 2 once disjoint")
    right.set(xlabel="distance between the distributions", ylabel="W1",
              title="Wasserstein distance: keeps shrinking")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    ctx.save_figure(fig, "divergences", "JS divergence and Wasserstein distance against the "
                    "distance between P_G and P_data: closed forms for U[0,1] vs U[θ,θ+1], "
                    "sample estimates, and what a trained discriminator / critic measures for "
                    "the SYNTHETIC Gaussians of each repeat")


def plot_distance(ctx, s, runs: list[dict]) -> None:
    r"""``js-divergence``: the generator's distance to the data over training."""
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    for name, color, label in (("vanilla", "tab:blue", "vanilla GAN, log(1 - D(G(z)))"),
                               ("wgan", "tab:red", "WGAN-GP")):
        for i, run in enumerate(runs):
            steps, distance = zip(*run[name]["trajectory"], strict=True)
            ax.plot([0, *steps], [s.start, *distance], color=color, alpha=0.7,
                    label=label if i == 0 else None)
    ax.set(xlabel="generator step", ylabel="|b| = W1(P_G, P_data)",
           title="A generator that starts disjoint from the data")
    ax.legend()
    ctx.save_figure(fig, "distance", "Distance from the data of a generator trained by SGD "
                    "against a minimax discriminator (vanilla) and a WGAN-GP critic, one line "
                    "per repeat")
