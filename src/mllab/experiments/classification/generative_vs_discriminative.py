r"""``generative-vs-discriminative``: a shared covariance gives a linear boundary and beats
separate covariances; generative models do better with little data, discriminative ones catch
up or win with more (Ng & Jordan 2001). Data: scikit-learn's breast cancer and wine."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.classify import (
    COVARIANCES,
    GaussianGenerativeClassifier,
    LogisticRegression,
    SoftmaxRegression,
    two_class_linear,
)
from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.classification import LECTURE
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.metrics import accuracy


@dataclass
class GenerativeSettings(Settings):
    sizes: tuple[int, ...] = (10, 20, 40, 80, 160, 320)
    """Training-set sizes, increasing; each is capped at the dataset's training split."""
    repeats: int = 10
    """Independent repeats (>= 1): each draws its own train/test split and, for every size,
    its own training subset, the same for every model."""
    reg: float = 1e-2
    """Added to every covariance's diagonal so that small samples stay invertible (>= 0)."""
    epochs: int = 500
    """Full-batch gradient-descent epochs of logistic / softmax regression (>= 1)."""
    lr: float = 0.1
    """Learning rate of logistic / softmax regression (> 0)."""
    catch_up: float = 0.01
    """Largest accuracy gap (generative minus discriminative) at the largest size that still
    counts as 'caught up' (>= 0): one point of accuracy."""

    def validate(self) -> None:
        require(len(self.sizes) >= 2 and list(self.sizes) == sorted(set(self.sizes))
                and self.sizes[0] >= 6, "sizes", "two or more increasing integers >= 6",
                self.sizes)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(self.reg >= 0, "reg", ">= 0", self.reg)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.catch_up >= 0, "catch_up", ">= 0", self.catch_up)

    @classmethod
    def quick(cls) -> GenerativeSettings:
        return cls(sizes=(10, 40, 160), repeats=3, epochs=300)


def _subset(y: Tensor, n: int, generator: torch.Generator) -> Tensor:
    r"""``n`` random training indices holding at least two examples of every class."""
    classes = torch.unique(y)
    while True:
        idx = torch.randperm(len(y), generator=generator)[:n]
        if all((y[idx] == c).sum() >= 2 for c in classes):
            return idx


def _discriminative(num_classes: int, s: GenerativeSettings):
    if num_classes == 2:
        return LogisticRegression(lr=s.lr, epochs=s.epochs)
    return SoftmaxRegression(num_classes=num_classes, lr=s.lr, epochs=s.epochs)


def _learning_curves(ctx: RunContext, dataset: str, s: GenerativeSettings) -> dict:
    r"""Test accuracy of every model per size and repeat: ``test_accuracy[model][size]`` is a
    list over the repeats (paired: one subset per repeat and size for all models)."""
    models = [*COVARIANCES, "discriminative"]
    acc: dict[str, list[list[float]]] = {}
    for r in range(s.repeats):
        split = load_dataset(dataset, seed=ctx.seed_for(f"split/{dataset}/r{r}"))
        x = torch.cat([split.x_train, split.x_valid]).double()  # no tuning: all of it trains
        y = torch.cat([split.y_train, split.y_valid])
        x_test, y_test = split.x_test.double(), split.y_test
        sizes = sorted({min(n, len(y)) for n in s.sizes})
        g = ctx.generator(f"subsets/{dataset}/r{r}")
        for i, n in enumerate(sizes):
            idx = _subset(y, n, g)
            for cov in COVARIANCES:
                clf = GaussianGenerativeClassifier(covariance=cov, reg=s.reg).fit(x[idx], y[idx])
                acc.setdefault(cov, [[] for _ in sizes])[i].append(
                    accuracy(clf.predict(x_test), y_test))
            clf = _discriminative(split.num_classes, s).fit(x[idx], y[idx])
            acc.setdefault("discriminative", [[] for _ in sizes])[i].append(
                accuracy(clf.predict(x_test), y_test))
    return {"sizes": sizes, "test_accuracy": {m: acc[m] for m in models}}


def _linear_posterior_gap(ctx: RunContext, s: GenerativeSettings) -> float:
    r"""Largest |P(C₁|x) of the shared-covariance Gaussians − σ(wᵀx + b)| on breast cancer's
    test set, with w, b from the lecture's closed form: zero means the boundary is linear."""
    split = load_dataset("breast_cancer", seed=ctx.seed)
    x, y = split.x_train.double(), split.y_train
    clf = GaussianGenerativeClassifier(covariance="shared", reg=s.reg).fit(x, y)
    w, b = two_class_linear(clf.mu[1], clf.mu[0], clf.sigma[0], clf.prior[1].item(),
                            clf.prior[0].item())
    p1 = torch.sigmoid(split.x_test.double() @ w + b)
    return (clf.predict_proba(split.x_test.double())[:, 1] - p1).abs().max().item()


def judge_generative(m: dict, s: GenerativeSettings) -> Evidence:
    checks = []
    for name in ("breast_cancer", "wine"):
        acc, sizes = m[name]["test_accuracy"], m[name]["sizes"]

        def minus(a: str, b: str, i: int, acc=acc) -> list[float]:
            return paired(acc[a][i], acc[b][i])

        mean_gap = [sum(g) / len(g) for g in zip(*(minus("shared", "separate", i)
                                                  for i in range(len(sizes))), strict=True)]
        checks += [
            Check(f"{name}: a shared covariance beats separate ones",
                  "test accuracy, shared minus separate, mean over the sizes", mean_gap,
                  margin=0.0, reason="the claim is a direction"),
            Check(f"{name}: with little data the generative model does better",
                  f"test accuracy at n = {sizes[0]}, naive Bayes (diagonal) minus "
                  f"discriminative", minus("diagonal", "discriminative", 0), margin=0.0,
                  reason="the claim is a direction"),
            Check(f"{name}: with more data the discriminative model catches up",
                  f"test accuracy at n = {sizes[-1]}, discriminative minus naive Bayes",
                  minus("discriminative", "diagonal", -1), margin=0.0, threshold=-s.catch_up,
                  reason=f"'caught up' = within {s.catch_up:g} (catch_up)")]
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "with a shared covariance the posterior is σ(wᵀx + b): a linear boundary (the "
        "lecture's derivation)", f"largest |P(C₁|x) − σ(wᵀx + b)| on breast cancer's test set: "
        f"{m['linear_gap']:.1e}")])


@experiment(name="generative-vs-discriminative", lecture=LECTURE, judge=judge_generative,
            claim="A shared covariance gives a linear boundary and beats separate covariances; "
                  "generative models do better with little data, discriminative ones catch up "
                  "or win with more.")
def generative_vs_discriminative(s: GenerativeSettings, ctx: RunContext) -> Result:
    metrics = {"linear_gap": _linear_posterior_gap(ctx, s)}
    tables = []
    ctx.plan(trials=2)
    for name in ("breast_cancer", "wine"):
        with ctx.trial(name) as t:
            metrics[name] = t.record("curves", lambda n=name: _learning_curves(ctx, n, s))
        acc = metrics[name]["test_accuracy"]
        mean = {k: [sum(v) / len(v) for v in per_size] for k, per_size in acc.items()}
        for i, n in enumerate(metrics[name]["sizes"]):
            ctx.log(trial=name, n=n, **{f"test_accuracy_{m}": mean[m][i] for m in mean})
        rows = [[n, *(mean[m][i] for m in mean)] for i, n in enumerate(metrics[name]["sizes"])]
        tables.append(table(f"{name}: test accuracy by training-set size (mean of "
                            f"{s.repeats} repeats)", ["n", *mean], rows))
    _plot_learning_curves(ctx, metrics)
    return Result(metrics=metrics, tables=tables)


def _plot_learning_curves(ctx: RunContext, metrics: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4))
    for ax, name in zip(axes, ("breast_cancer", "wine"), strict=True):
        for model, acc in metrics[name]["test_accuracy"].items():
            label = model if model == "discriminative" else f"Gaussian, {model} Σ"
            ax.plot(metrics[name]["sizes"], [sum(v) / len(v) for v in acc], "o-", label=label)
        ax.set(xscale="log", xlabel="training examples", ylabel="test accuracy", title=name)
        ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning_curves", "Test accuracy of the Gaussian generative models "
                    "and logistic (softmax) regression as the training set grows")
