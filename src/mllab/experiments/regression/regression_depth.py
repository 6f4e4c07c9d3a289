r"""``regression-depth``: more hidden ReLU layers lower the training loss on the SYNTHETIC views
series, but past some depth the validation loss rises: overfitting."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.data import Standardizer
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.regression import LECTURE
from mllab.experiments.regression.views import views_split
from mllab.losses import mse
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig


@dataclass
class DepthSettings(Settings):
    days: int = 730
    """Length of each synthetic views series (>= 120)."""
    window: int = 28
    """Previous days seen by the network (>= 1, <= days / 4)."""
    valid_fraction: float = 0.25
    """Share of the last days used for validation, in (0, 0.5]."""
    max_depth: int = 4
    """Compare 1 .. max_depth hidden layers (>= 2)."""
    width: int = 100
    """Units per hidden layer (>= 1)."""
    epochs: int = 3000
    """Full-batch Adam updates per network (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent synthetic series and initialisations (>= 1)."""
    margin: float = 0.0
    """Noise allowance on every MSE difference (>= 0): the claims are directions."""

    def validate(self) -> None:
        require(self.days >= 120, "days", ">= 120", self.days)
        require(1 <= self.window <= self.days // 4, "window", "in [1, days/4]", self.window)
        require(0 < self.valid_fraction <= 0.5, "valid_fraction", "in (0, 0.5]",
                self.valid_fraction)
        require(self.max_depth >= 2, "max_depth", ">= 2", self.max_depth)
        require(self.width >= 1, "width", ">= 1", self.width)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> DepthSettings:
        return cls(days=365, width=64, epochs=800, repeats=2)


def judge_depth(m: dict, s: DepthSettings) -> Evidence:
    train, valid = m["train_mse"], m["valid_mse"]  # [depth][repeat]
    checks = [Check(f"{d + 2} hidden layers fit the training data better than {d + 1}",
                    f"training MSE, {d + 1} layers minus {d + 2}",
                    paired(train[d], train[d + 1]),
                    margin=s.margin, reason="the claim is a direction (margin)")
              for d in range(s.max_depth - 1)]
    checks.append(Check(
        f"past some depth the validation loss rises: {s.max_depth} layers do worse on "
        f"validation than {s.max_depth - 1}", f"validation MSE, {s.max_depth} layers minus "
        f"{s.max_depth - 1}", paired(valid[-1], valid[-2]),
        margin=s.margin, reason="the claim is a direction (margin); the deepest pair is fixed "
        "in advance, as in the lecture's table"))
    return Evidence(checks=checks)


@experiment(name="regression-depth", lecture=LECTURE, judge=judge_depth,
            claim="More hidden ReLU layers lower the training loss, but past some depth the "
                  "validation loss rises: overfitting.")
def regression_depth(s: DepthSettings, ctx: RunContext) -> Result:
    train_mse = [[] for _ in range(s.max_depth)]  # [depth][repeat]
    valid_mse = [[] for _ in range(s.max_depth)]
    ctx.plan(trials=s.repeats * s.max_depth)
    for r in range(s.repeats):
        _, train, valid = views_split(ctx.generator(f"views/r{r}"), s.days, s.window,
                                      s.valid_fraction, window_offset=s.window)
        scaler = Standardizer().fit(train[0])
        train = (scaler.transform(train[0]), train[1])
        valid = (scaler.transform(valid[0]), valid[1])
        for depth in range(1, s.max_depth + 1):
            with ctx.trial(f"depth-{depth}-r{r}") as t:
                model = MLP(MLPConfig(in_features=s.window, depth=depth, width=s.width))
                optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
                fit = t.fit(model, optimizer, mse, train, valid, TrainConfig(epochs=s.epochs),
                            fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                train_mse[depth - 1].append(mse(model(train[0]), train[1]).item())
            valid_mse[depth - 1].append(fit.history[-1]["valid_loss"])
    _plot_depth(ctx, [sum(v) / len(v) for v in train_mse], [sum(v) / len(v) for v in valid_mse])
    rows = [[d + 1, r, train_mse[d][r], valid_mse[d][r]]
            for d in range(s.max_depth) for r in range(s.repeats)]
    return Result(metrics={"train_mse": train_mse, "valid_mse": valid_mse},
                  tables=[table("Loss by number of hidden layers and repeat",
                                ["hidden layers", "repeat", "train MSE", "valid MSE"], rows)])


def _plot_depth(ctx: RunContext, train_mse: list, valid_mse: list) -> None:
    from mllab.report import new_figure

    depths = list(range(1, len(train_mse) + 1))
    fig, ax = new_figure()
    ax.plot(depths, train_mse, "o-", label="training")
    ax.plot(depths, valid_mse, "s-", label="validation")
    ax.set(xlabel="hidden ReLU layers", ylabel="MSE (thousands² views)", xticks=depths,
           title="Deeper is better on training data, not always on new data")
    ax.legend()
    ctx.save_figure(fig, "depth", "Training and validation MSE (mean over repeats) after "
                    "training networks with 1 to max_depth hidden layers on the synthetic views "
                    "series")
