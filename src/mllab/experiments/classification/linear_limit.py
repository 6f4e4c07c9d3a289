r"""``linear-limit``: no linear classifier separates SYNTHETIC XOR-like data (four seeded
Gaussian clusters, :func:`mllab.data.xor_clusters`); cascaded logistic regressions (a hidden
layer, :class:`mllab.classify.Cascade`) transform the features so that a linear one does."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.classify import Cascade, LogisticRegression, best_linear_accuracy
from mllab.config import require
from mllab.data import xor_clusters
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.classification import LECTURE
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence
from mllab.losses import binary_cross_entropy
from mllab.metrics import accuracy
from mllab.train import TrainConfig


@dataclass
class LinearLimitSettings(Settings):
    per_cluster: int = 50
    """Points in each of the four XOR clusters (>= 2)."""
    spread: float = 0.12
    """Standard deviation of each cluster around its corner (> 0)."""
    restarts: int = 5
    """Random starts of the cascade; the one with the lowest training loss is kept (>= 1)."""
    epochs: int = 2000
    """Full-batch Adam updates of the cascade (>= 1)."""
    lr: float = 0.05
    """Adam's learning rate (> 0)."""
    separated: float = 0.98
    """Accuracy that counts as separating the classes (in (0.5, 1]): all but 2 points in 100,
    allowing for the clusters' tails."""
    repeats: int = 5
    """Independent draws of the clusters, each with its own restarts (>= 1)."""

    def validate(self) -> None:
        require(self.per_cluster >= 2, "per_cluster", ">= 2", self.per_cluster)
        require(self.spread > 0, "spread", "> 0", self.spread)
        require(self.restarts >= 1, "restarts", ">= 1", self.restarts)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0.5 < self.separated <= 1, "separated", "in (0.5, 1]", self.separated)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)

    @classmethod
    def quick(cls) -> LinearLimitSettings:
        return cls(restarts=3, epochs=1000, repeats=2)


def judge_linear_limit(m: dict, s: LinearLimitSettings) -> Evidence:
    reason = f"'separates' means accuracy above {s.separated:g} (separated)"
    return Evidence(checks=[
        Check("no linear classifier separates XOR-like data",
              "best accuracy of any line on the inputs", m["best_linear_accuracy"], margin=0.0,
              threshold=s.separated, below=True, reason=reason),
        Check("cascaded logistic regressions separate it", "training accuracy of the cascade "
              f"(the best of {s.restarts} restarts)", m["cascade_accuracy"], margin=0.0,
              threshold=s.separated, reason=reason)],
        demonstrations=[Demonstration(
            "a cascade that separates the data has made its transformed features linearly "
            "separable (its last stage is a line on them)",
            "best linear accuracy on the transformed features: " + ", ".join(
                f"{v:.3f}" for v in m["best_linear_accuracy_transformed"]))],
        notes=["logistic regression by gradient descent on the inputs: " + ", ".join(
            f"{v:.3f}" for v in m["logistic_accuracy"])])


@experiment(name="linear-limit", lecture=LECTURE, judge=judge_linear_limit,
            claim="No linear classifier separates XOR-like data; cascaded logistic regressions "
                  "(a hidden layer) transform the features so that a linear one does.")
def linear_limit(s: LinearLimitSettings, ctx: RunContext) -> Result:
    keys = ("best_linear_accuracy", "logistic_accuracy", "cascade_accuracy", "cascade_loss",
            "best_linear_accuracy_transformed")
    metrics: dict[str, list] = {k: [] for k in keys}
    ctx.plan(trials=s.repeats * s.restarts)
    for r in range(s.repeats):
        x, y = xor_clusters(s.per_cluster, s.spread, ctx.generator(f"xor/r{r}"))
        logistic = LogisticRegression(lr=0.5, epochs=2000).fit(x.double(), y)
        best, best_loss = None, math.inf
        for k in range(s.restarts):
            with ctx.trial(f"cascade-r{r}-{k}") as t:
                model = Cascade()
                fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr),
                            binary_cross_entropy, (x, y.float()), None,
                            TrainConfig(epochs=s.epochs), fingerprint=s.to_dict())
            if fit.history[-1]["train_loss"] < best_loss:
                best, best_loss = model, fit.history[-1]["train_loss"]
        with torch.no_grad():
            x_prime = best.features(x)
            cascade_acc = accuracy((best(x) > 0).long(), y)
        values = {"best_linear_accuracy": best_linear_accuracy(x, y),
                  "logistic_accuracy": accuracy(logistic.predict(x.double()), y),
                  "cascade_accuracy": cascade_acc, "cascade_loss": best_loss,
                  "best_linear_accuracy_transformed": best_linear_accuracy(x_prime, y)}
        for key, value in values.items():
            metrics[key].append(value)
        if r == 0:
            _plot_transform(ctx, x, y, x_prime)
    return Result(metrics=metrics, tables=[table(
        "Every repeat", ["repeat", "best line on x", "logistic regression", "cascade",
                         "best line on the transformed features"],
        [[r, metrics["best_linear_accuracy"][r], metrics["logistic_accuracy"][r],
          metrics["cascade_accuracy"][r], metrics["best_linear_accuracy_transformed"][r]]
         for r in range(s.repeats)])])


def _plot_transform(ctx: RunContext, x: Tensor, y: Tensor, x_prime: Tensor) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(10, 4.4))
    for ax, data, title, labels in (
            (axes[0], x, "original features (synthetic XOR)", ("x₁", "x₂")),
            (axes[1], x_prime, "transformed: outputs of the first logistic regressions",
             ("x₁′", "x₂′"))):
        for c, colour in ((0, "tab:blue"), (1, "tab:red")):
            ax.scatter(data[y == c, 0].numpy(), data[y == c, 1].numpy(), s=8, color=colour,
                       label=f"class {c}")
        ax.set(title=title, xlabel=labels[0], ylabel=labels[1])
        ax.legend(fontsize=8)
    ctx.save_figure(fig, "feature_transform", "XOR-like data before and after the first stage "
                    "of cascaded logistic regressions")
