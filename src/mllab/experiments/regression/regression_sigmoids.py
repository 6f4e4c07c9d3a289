r"""``regression-sigmoids``: a sum of more sigmoids (or ReLUs), :math:`y = b + \sum_i c_i
\sigma(b_i + w_i x)`, approximates a SYNTHETIC curve with kinks better."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.data import kinked_curve
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.regression import LECTURE
from mllab.losses import mse
from mllab.nn import LinearModel, ReLUNetwork, SigmoidNetwork
from mllab.train import TrainConfig


@dataclass
class SigmoidSettings(Settings):
    n_points: int = 200
    """Points of the synthetic kinked curve (>= 20)."""
    noise: float = 0.1
    """Standard deviation of the curve's noise (>= 0)."""
    counts: tuple[int, ...] = (3, 10, 100)
    """Numbers of sigmoids (and of ReLUs) to compare, increasing, each >= 1."""
    epochs: int = 4000
    """Full-batch Adam updates per model (>= 1)."""
    lr: float = 0.02
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent curves (noise draws) and initialisations (>= 1)."""
    margin: float = 0.0
    """Noise allowance on each training-MSE difference (>= 0): the claim is a direction."""

    def validate(self) -> None:
        require(self.n_points >= 20, "n_points", ">= 20", self.n_points)
        require(self.noise >= 0, "noise", ">= 0", self.noise)
        require(len(self.counts) >= 2 and all(c >= 1 for c in self.counts)
                and list(self.counts) == sorted(set(self.counts)),
                "counts", "two or more increasing integers >= 1", self.counts)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> SigmoidSettings:
        return cls(n_points=100, epochs=500, repeats=2)


def judge_sigmoids(m: dict, s: SigmoidSettings) -> Evidence:
    checks = []
    for family in ("sigmoid", "relu"):
        names = ["linear"] + [f"{family}-{c}" for c in s.counts]
        for fewer, more in zip(names, names[1:], strict=False):
            checks.append(Check(
                f"{more.replace('-', ' ')}s fit better than {fewer.replace('-', ' ')}",
                f"training MSE, {fewer} minus {more}",
                paired(m[fewer], m[more]), margin=s.margin,
                reason="the claim is a direction (margin)"))
    return Evidence(checks=checks)


@experiment(name="regression-sigmoids", lecture=LECTURE, judge=judge_sigmoids,
            claim="A sum of more sigmoids (or ReLUs) approximates a curve with kinks better: "
                  "the training loss falls as their number grows, and a linear model is worst.")
def regression_sigmoids(s: SigmoidSettings, ctx: RunContext) -> Result:
    models = {"linear": lambda: LinearModel(1)}
    for c in s.counts:
        models[f"sigmoid-{c}"] = lambda c=c: SigmoidNetwork(1, c)
        models[f"relu-{c}"] = lambda c=c: ReLUNetwork(1, c)
    metrics: dict[str, list[float]] = {name: [] for name in models}
    ctx.plan(trials=s.repeats * len(models))
    for r in range(s.repeats):
        x, y = kinked_curve(s.n_points, generator=ctx.generator(f"curve/r{r}"), noise=s.noise)
        fitted = {}
        for name, build in models.items():
            with ctx.trial(f"{name}-r{r}") as t:
                model = build()
                optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
                t.fit(model, optimizer, mse, (x, y), None, TrainConfig(epochs=s.epochs),
                      fingerprint=s.to_dict())
                with torch.no_grad():
                    metrics[name].append(mse(model(x), y).item())
                fitted[name] = model
        if r == 0:
            _plot_curves(ctx, x, y, fitted, s.counts)
    rows = [[name, *losses] for name, losses in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        "Training MSE by model and repeat", ["model", *(f"repeat {r}" for r in range(s.repeats))],
        rows)])


def _plot_curves(ctx: RunContext, x: Tensor, y: Tensor, fitted: dict, counts) -> None:
    from mllab.report import new_figure

    grid = torch.linspace(x.min().item(), x.max().item(), 400).unsqueeze(1)  # (400, 1)
    fig, axes = new_figure(ncols=2, size=(11, 4))
    for ax, family in zip(axes, ("sigmoid", "relu"), strict=True):
        ax.scatter(x[:, 0].numpy(), y.numpy(), s=6, color="0.6", label="data (synthetic)")
        for name in ["linear"] + [f"{family}-{c}" for c in counts]:
            with torch.no_grad():
                ax.plot(grid[:, 0].numpy(), fitted[name](grid).numpy(), lw=1.3, label=name)
        ax.set(xlabel="x", ylabel="y", title=f"Sums of {family}s")
        ax.legend(fontsize=8)
    ctx.save_figure(fig, "fitted_curves", "Synthetic kinked curve and the fitted linear model "
                    "and sums of sigmoids (left) and ReLUs (right)")
