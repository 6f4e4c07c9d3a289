r"""``regression-depth``: more hidden ReLU layers lower the training loss on the SYNTHETIC views
series, but past some depth the validation loss rises: overfitting."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.data import Standardizer
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.regression import LECTURE
from mllab.experiments.regression.views import views_split
from mllab.losses import mse
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig


@dataclass
class DepthSettings(Settings):
    days: int = 730
    """Length of the synthetic views series (>= 120)."""
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

    def validate(self) -> None:
        require(self.days >= 120, "days", ">= 120", self.days)
        require(1 <= self.window <= self.days // 4, "window", "in [1, days/4]", self.window)
        require(0 < self.valid_fraction <= 0.5, "valid_fraction", "in (0, 0.5]",
                self.valid_fraction)
        require(self.max_depth >= 2, "max_depth", ">= 2", self.max_depth)
        require(self.width >= 1, "width", ">= 1", self.width)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)

    @classmethod
    def quick(cls) -> DepthSettings:
        return cls(days=365, width=64, epochs=800)


def judge_depth(m: dict, s: DepthSettings) -> tuple[str, str]:
    train, valid = m["train_mse"], m["valid_mse"]
    falls = all(b < a for a, b in zip(train, train[1:], strict=False))
    best = min(range(len(valid)), key=valid.__getitem__)
    rises = best < len(valid) - 1 and valid[-1] > valid[best]
    verdict = "reproduced" if falls and rises else "not reproduced"
    return verdict, (
        f"training MSE by depth 1..{len(train)}: {', '.join(f'{v:.4f}' for v in train)} "
        f"({'falls' if falls else 'does NOT fall'} with every layer); validation MSE: "
        f"{', '.join(f'{v:.4f}' for v in valid)} (lowest at depth {best + 1}; "
        f"{'rises after it' if rises else 'does NOT rise past it'})")


@experiment(name="regression-depth", lecture=LECTURE, judge=judge_depth,
            claim="More hidden ReLU layers lower the training loss, but past some depth the "
                  "validation loss rises: overfitting.")
def regression_depth(s: DepthSettings, ctx: RunContext) -> Result:
    _, train, valid = views_split(ctx, s.days, s.window, s.valid_fraction,
                                  window_offset=s.window)
    scaler = Standardizer().fit(train[0])
    train, valid = (scaler.transform(train[0]), train[1]), (scaler.transform(valid[0]), valid[1])
    train_mse, valid_mse = [], []
    for depth in range(1, s.max_depth + 1):
        with ctx.trial(f"depth-{depth}") as t:
            model = MLP(MLPConfig(in_features=s.window, depth=depth, width=s.width))
            optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
            fit = t.fit(model, optimizer, mse, train, valid, TrainConfig(epochs=s.epochs),
                        fingerprint=s.to_dict())
        model.eval()
        with torch.no_grad():
            train_mse.append(mse(model(train[0]), train[1]).item())
        valid_mse.append(fit.history[-1]["valid_loss"])
    _plot_depth(ctx, train_mse, valid_mse)
    rows = [[d + 1, a, b] for d, (a, b) in enumerate(zip(train_mse, valid_mse, strict=True))]
    return Result(metrics={"train_mse": train_mse, "valid_mse": valid_mse},
                  tables=[table("Loss by number of hidden layers",
                                ["hidden layers", "train MSE", "valid MSE"], rows)])


def _plot_depth(ctx: RunContext, train_mse: list, valid_mse: list) -> None:
    from mllab.report import new_figure

    depths = list(range(1, len(train_mse) + 1))
    fig, ax = new_figure()
    ax.plot(depths, train_mse, "o-", label="training")
    ax.plot(depths, valid_mse, "s-", label="validation")
    ax.set(xlabel="hidden ReLU layers", ylabel="MSE (thousands² views)", xticks=depths,
           title="Deeper is better on training data, not always on new data")
    ax.legend()
    ctx.save_figure(fig, "depth", "Training and validation MSE after training networks with "
                    "1 to max_depth hidden layers on the synthetic views series")
