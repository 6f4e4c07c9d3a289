r"""Figures of the training-strategy experiment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from mllab.experiments.context import RunContext
from mllab.experiments.training_strategy import REGULARIZERS

if TYPE_CHECKING:
    from mllab.experiments.training_strategy.training_strategy import StrategySettings


def plot_depth_and_cv(ctx: RunContext, s: StrategySettings, curves: dict, cv: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4))
    for name, depth in (("shallow", s.shallow_depth), ("deep", s.deep_depth)):
        axes[0].plot(range(1, len(curves[name]) + 1), curves[name], label=f"{depth} layers")
    axes[0].set(xlabel="epoch", ylabel="training cross-entropy", yscale="log",
                title="(1) Deeper plain network: worse on training data")
    axes[0].legend()
    degrees = range(1, len(cv["cv_mse"]) + 1)
    for key, label in (("train_mse", "training"), ("cv_mse", "cross-validation"),
                       ("test_mse", "test")):
        axes[1].plot(degrees, cv[key], "o-", label=label)
    axes[1].axvline(cv["cv_degree"], color="k", ls="--", lw=1, label="CV choice")
    axes[1].set(xlabel="polynomial degree", ylabel="MSE", yscale="log",
                title="(2) Cross-validation picks the degree")
    axes[1].legend()
    ctx.save_figure(fig, "depth_and_cross_validation",
                    "Left: training loss per epoch of a shallow and a deep plain sigmoid "
                    "network (digits). Right: training, cross-validation and test MSE of "
                    "per-feature polynomial regression on diabetes (log scale)")


def plot_leaderboard(ctx: RunContext, plot: dict, q: int) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4))
    first = plot["first_game"]
    jitter = torch.rand(len(first["public"]), generator=torch.Generator().manual_seed(0))
    public = torch.tensor(first["public"]) + 0.04 * (jitter - 0.5)
    axes[0].scatter(public[q:], first["private"][q:], s=2, alpha=0.3, color="0.5",
                    label="random-guess models")
    axes[0].scatter(public[:q], first["private"][:q], s=25, color="tab:blue",
                    label="real classifiers")
    for rule, colour in (("public", "tab:red"), ("validation", "tab:green")):
        i = first[f"{rule}_pick"]
        axes[0].scatter([public[i]], [first["private"][i]], s=120, facecolors="none",
                        edgecolors=colour, lw=2, label=f"best on {rule}")
    axes[0].set(xlabel="public accuracy (jittered)", ylabel="private accuracy",
                title="(3) One game: every model")
    axes[0].legend(fontsize=8, loc="lower right")
    bins = [i / 40 for i in range(41)]
    for rule, colour in (("public", "tab:red"), ("validation", "tab:green")):
        axes[1].hist(plot[rule], bins=bins, alpha=0.6, color=colour,
                     label=f"picked by {rule} split")
    axes[1].set(xlabel="private accuracy of the pick", ylabel="games",
                title="(3) All games")
    axes[1].legend(fontsize=8)
    ctx.save_figure(fig, "leaderboard", "Public/private leaderboard on breast cancer: left, "
                    "one game's models (grey: random guessers); right, the private accuracy of "
                    "the model picked by the public split and by the validation split")


def plot_regularization(ctx: RunContext, curves: dict, reg: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4))
    for name, curve in curves.items():
        axes[0].plot(range(1, len(curve) + 1), curve, label=name)
    axes[0].set(xlabel="epoch", ylabel="validation cross-entropy",
                title="(4) Validation loss while training")
    axes[0].legend()
    pos = torch.arange(len(REGULARIZERS)).double()
    axes[1].bar(pos - 0.2, [reg["train_loss"][r] for r in REGULARIZERS], 0.4, label="training")
    axes[1].bar(pos + 0.2, [reg["test_loss"][r] for r in REGULARIZERS], 0.4, label="test")
    axes[1].set_xticks(pos.tolist(), list(REGULARIZERS))
    axes[1].set(ylabel="cross-entropy", title="(4) Train/test gap by regularizer")
    axes[1].legend()
    ctx.save_figure(fig, "regularization", "A wide MLP on a small digits subset with noisy "
                    "labels, unregularized and with L2, dropout or early stopping: validation "
                    "loss per epoch (first run) and final training vs test loss")
