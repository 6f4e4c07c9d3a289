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


_METHOD_STYLE = {"vanilla": ("tab:blue", "vanilla GAN"), "wgan_gp": ("tab:red", "WGAN-GP"),
                 "sn": ("tab:green", "SN discriminator")}


def plot_coverage(ctx, runs: list[dict], mixtures: dict, methods: tuple[str, ...]) -> None:
    r"""``mode-collapse``: modes covered and high-quality share over training."""
    from mllab.report import new_figure

    fig, axes = new_figure(nrows=2, ncols=len(mixtures), size=(5 * len(mixtures), 7))
    for j, (mixture, (make_centers, _)) in enumerate(mixtures.items()):
        modes, hq = axes[0][j], axes[1][j]
        for method in methods:
            color, label = _METHOD_STYLE[method]
            for i, run in enumerate(runs):
                curve = run[mixture][method]["curve"]
                steps = [p["step"] for p in curve]
                modes.plot(steps, [p["modes"] for p in curve], color=color, alpha=0.6,
                           label=label if i == 0 else None)
                hq.plot(steps, [p["hq"] for p in curve], color=color, alpha=0.6)
        modes.axhline(len(make_centers()), color="grey", ls=":", lw=1)
        modes.set(ylabel="modes covered", title=f"{mixture} of {len(make_centers())} Gaussians")
        hq.set(xlabel="generator step", ylabel="high-quality share", ylim=(0, 1))
        modes.legend(fontsize=7)
    ctx.save_figure(fig, "coverage", "Modes covered and share of high-quality samples (within "
                    "3 sigma of a mode) over training on the SYNTHETIC ring and grid, test draw "
                    "of z, one line per repeat")


def plot_mixture_samples(ctx, run: dict, mixtures: dict, methods: tuple[str, ...]) -> None:
    r"""``mode-collapse``: the last samples of each GAN over the mixture's modes (repeat 0)."""
    from mllab.report import new_figure

    fig, axes = new_figure(nrows=len(mixtures), ncols=len(methods),
                           size=(3.2 * len(methods), 3.2 * len(mixtures)))
    for i, (mixture, (make_centers, _)) in enumerate(mixtures.items()):
        centers = make_centers()
        for j, method in enumerate(methods):
            ax = axes[i][j]
            xy = run[mixture][method]["samples"]
            ax.scatter([p[0] for p in xy], [p[1] for p in xy], s=3, alpha=0.5,
                       color=_METHOD_STYLE[method][0])
            ax.scatter(centers[:, 0], centers[:, 1], marker="x", color="black", s=20)
            lim = float(centers.abs().max()) * 1.6
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), title=f"{mixture}, "
                   f"{_METHOD_STYLE[method][1]}")
    ctx.save_figure(fig, "samples", "500 samples of each GAN after training (repeat 0) and the "
                    "mixture's modes (crosses)")


def plot_evaluation(ctx, runs: list[dict], cases: tuple[str, ...]) -> None:
    r"""``gan-evaluation``: IS, FID and nearest-neighbour distance per case, and the images."""
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=3, size=(13, 3.8))
    for ax, key, label in zip(axes, ("is", "fid", "nn_train_median"),
                              ("Inception Score (higher is better)", "FID (lower is better)",
                               "median NN distance to the training half"), strict=True):
        for j, case in enumerate(cases):
            values = [run["cases"][case][key] for run in runs]
            ax.plot([j] * len(values), values, "o", alpha=0.6)
        ax.set_xticks(range(len(cases)), cases)
        ax.set(title=label)
    ctx.save_figure(fig, "scores", "IS, FID and the copying check for each known case, one "
                    "point per repeat (stand-in classifier, not Inception)")
    images = runs[0]["images"]
    fig, axes = new_figure(nrows=len(cases), ncols=8, size=(8, len(cases) * 1.1))
    for i, case in enumerate(cases):
        for j in range(8):
            axes[i][j].imshow(images[case][j], cmap="gray_r", vmin=-1, vmax=1)
            axes[i][j].set_xticks([])
            axes[i][j].set_yticks([])
        axes[i][0].set_ylabel(case, fontsize=8)
    ctx.save_figure(fig, "cases", "Eight images of each known case (repeat 0): real held-out, "
                    "collapsed onto one class, blurred, copies of training images")
