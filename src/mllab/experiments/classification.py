r"""Classification lectures: the generative model vs logistic regression, cross-entropy vs
mean squared error, and the limit of a linear classifier.

In ``generative-vs-discriminative`` the small-data claim pits naive Bayes (diagonal
covariances) against logistic (softmax) regression, the pairing of Ng & Jordan (2001) and of
the lecture's "benefit of the generative model" argument: its independence assumption is
what lets it learn from few examples. The shared-covariance model needs C(C+1)/2 covariance
entries, more than logistic regression's C+1 weights, so it is no small-data model; its
learning curve is reported beside the others.

Data: scikit-learn's breast cancer and wine (shipped with the package) and a SYNTHETIC
XOR-like set (four seeded Gaussian clusters) for the linear-limit experiment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.classify import (
    GaussianGenerativeClassifier,
    LogisticRegression,
    SoftmaxRegression,
    two_class_linear,
)
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, require, table
from mllab.experiments.context import RunContext
from mllab.losses import binary_cross_entropy, mse
from mllab.metrics import accuracy
from mllab.train import TrainConfig

LECTURE = "Classification"
COVARIANCES = ("separate", "shared", "diagonal")


# ------------------------------------------------------------ generative-vs-discriminative
@dataclass
class GenerativeSettings(Settings):
    sizes: tuple[int, ...] = (10, 20, 40, 80, 160, 320)
    """Training-set sizes, increasing; each is capped at the dataset's training split."""
    repeats: int = 10
    """Random training subsets per size (>= 1); accuracies are averaged over them."""
    reg: float = 1e-2
    """Added to every covariance's diagonal so that small samples stay invertible (>= 0)."""
    epochs: int = 500
    """Full-batch gradient-descent epochs of logistic / softmax regression (>= 1)."""
    lr: float = 0.1
    """Learning rate of logistic / softmax regression (> 0)."""
    catch_up: float = 0.01
    """Largest accuracy gap (generative minus discriminative) at the largest size that still
    counts as 'caught up' (>= 0)."""

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
    split = load_dataset(dataset, seed=ctx.seed)
    x = torch.cat([split.x_train, split.x_valid]).double()  # no tuning here: all of it trains
    y = torch.cat([split.y_train, split.y_valid])
    x_test, y_test = split.x_test.double(), split.y_test
    sizes = sorted({min(n, len(y)) for n in s.sizes})
    models = [*COVARIANCES, "discriminative"]
    acc = {m: [] for m in models}
    g = ctx.generator(f"subsets/{dataset}")
    for n in sizes:
        runs = {m: [] for m in models}
        for _ in range(s.repeats):
            idx = _subset(y, n, g)
            for cov in COVARIANCES:
                clf = GaussianGenerativeClassifier(covariance=cov, reg=s.reg).fit(x[idx], y[idx])
                runs[cov].append(accuracy(clf.predict(x_test), y_test))
            clf = _discriminative(split.num_classes, s).fit(x[idx], y[idx])
            runs["discriminative"].append(accuracy(clf.predict(x_test), y_test))
        for m in models:
            acc[m].append(sum(runs[m]) / len(runs[m]))
    return {"sizes": sizes, "test_accuracy": acc}


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


def judge_generative(m: dict, s: GenerativeSettings) -> tuple[str, str]:
    parts, held = [f"shared-covariance posterior = σ(wᵀx+b) to {m['linear_gap']:.1e}"], \
        m["linear_gap"] < 1e-6
    for name in ("breast_cancer", "wine"):
        acc = m[name]["test_accuracy"]
        mean = {k: sum(v) / len(v) for k, v in acc.items()}
        shared_better = mean["shared"] > mean["separate"]
        gap = [g - d for g, d in zip(acc["diagonal"], acc["discriminative"], strict=True)]
        small, large = gap[0] > 0, gap[-1] <= s.catch_up
        held &= shared_better and small and large
        parts.append(
            f"{name}: mean test accuracy shared {mean['shared']:.3f} "
            f"{'>' if shared_better else '<='} separate {mean['separate']:.3f}; naive Bayes "
            f"minus discriminative at n={m[name]['sizes'][0]}: {gap[0]:+.3f} "
            f"({'generative better' if small else 'generative NOT better'}), at "
            f"n={m[name]['sizes'][-1]}: {gap[-1]:+.3f} "
            f"(discriminative {'caught up or ahead' if large else 'NOT caught up'}, tolerance "
            f"{s.catch_up:g})")
    return ("reproduced" if held else "not reproduced"), "; ".join(parts)


@experiment(name="generative-vs-discriminative", lecture=LECTURE, judge=judge_generative,
            claim="A shared covariance gives a linear boundary and beats separate covariances; "
                  "generative models do better with little data, discriminative ones catch up "
                  "or win with more.")
def generative_vs_discriminative(s: GenerativeSettings, ctx: RunContext) -> Result:
    metrics = {"linear_gap": _linear_posterior_gap(ctx, s)}
    tables = []
    for name in ("breast_cancer", "wine"):
        with ctx.trial(name) as t:
            metrics[name] = t.record("curves", lambda n=name: _learning_curves(ctx, n, s))
        acc = metrics[name]["test_accuracy"]
        for i, n in enumerate(metrics[name]["sizes"]):
            ctx.log(trial=name, n=n, **{f"test_accuracy_{m}": acc[m][i] for m in acc})
        rows = [[n, *(acc[m][i] for m in acc)] for i, n in enumerate(metrics[name]["sizes"])]
        tables.append(table(f"{name}: test accuracy by training-set size (mean of "
                            f"{s.repeats} subsets)", ["n", *acc], rows))
    _plot_learning_curves(ctx, metrics)
    return Result(metrics=metrics, tables=tables)


def _plot_learning_curves(ctx: RunContext, metrics: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 4))
    for ax, name in zip(axes, ("breast_cancer", "wine"), strict=True):
        for model, acc in metrics[name]["test_accuracy"].items():
            label = model if model == "discriminative" else f"Gaussian, {model} Σ"
            ax.plot(metrics[name]["sizes"], acc, "o-", label=label)
        ax.set(xscale="log", xlabel="training examples", ylabel="test accuracy", title=name)
        ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning_curves", "Test accuracy of the Gaussian generative models "
                    "and logistic (softmax) regression as the training set grows")


# ------------------------------------------------------------------------- ce-vs-mse
@dataclass
class LossSurfaceSettings(Settings):
    feature: str = "worst radius"
    """The breast-cancer feature the classifier σ(wx + b) sees."""
    w0: float = 4.0
    """Starting w: positive is confidently wrong, since a large radius means malignant (0)."""
    b0: float = 4.0
    """Starting b."""
    lr: float = 0.5
    """Gradient-descent learning rate, the same for both losses (> 0)."""
    epochs: int = 300
    """Full-batch updates for each loss (>= 1)."""

    def validate(self) -> None:
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(math.isfinite(self.w0) and math.isfinite(self.b0), "w0/b0", "finite",
                (self.w0, self.b0))

    @classmethod
    def quick(cls) -> LossSurfaceSettings:
        return cls(epochs=150)


class Logistic1d(nn.Module):
    r""":math:`z = wx + b`, the logit of :math:`P(C_1|x) = \sigma(z)`; output shape (B,)."""

    def __init__(self, w: float, b: float) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.b = nn.Parameter(torch.tensor(b, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return self.w * x[:, 0] + self.b


def mse_on_probability(z: Tensor, y: Tensor) -> Tensor:
    r"""The lecture's MSE for classification: :math:`\frac1N\sum_n (\sigma(z_n) - y_n)^2`."""
    return mse(torch.sigmoid(z), y)


CE_MSE_LOSSES = {"cross-entropy": binary_cross_entropy, "mse": mse_on_probability}


def judge_ce_vs_mse(m: dict, s: LossSurfaceSettings) -> tuple[str, str]:
    ratio = m["cross-entropy"]["grad_norm_start"] / m["mse"]["grad_norm_start"]
    flat = ratio > 1
    progress = m["cross-entropy"]["accuracy"] > m["mse"]["accuracy"]
    verdict = "reproduced" if flat and progress else "not reproduced"
    return verdict, (
        f"at the start, ‖∇L‖ cross-entropy {m['cross-entropy']['grad_norm_start']:.3g} vs MSE "
        f"{m['mse']['grad_norm_start']:.3g} (ratio {ratio:.1f}: MSE "
        f"{'flatter' if flat else 'NOT flatter'}); after {s.epochs} updates training accuracy "
        f"cross-entropy {m['cross-entropy']['accuracy']:.3f} {'>' if progress else '<='} MSE "
        f"{m['mse']['accuracy']:.3f}")


@experiment(name="ce-vs-mse", lecture=LECTURE, judge=judge_ce_vs_mse,
            claim="From the same poor start, cross-entropy makes progress where the loss is "
                  "large, while mean squared error's surface is flat there.")
def ce_vs_mse(s: LossSurfaceSettings, ctx: RunContext) -> Result:
    x, y = _one_feature(ctx, s.feature)
    metrics, paths = {}, {}
    for name, loss_fn in CE_MSE_LOSSES.items():
        with ctx.trial(name) as t:
            model = Logistic1d(s.w0, s.b0)
            loss_fn(model(x), y).backward()
            g0 = math.hypot(model.w.grad.item(), model.b.grad.item())
            model.zero_grad()
            fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=s.lr), loss_fn, (x, y),
                        None, TrainConfig(epochs=s.epochs), fingerprint=s.to_dict(),
                        extra_metrics=lambda m: {"w": m.w.item(), "b": m.b.item()})
        with torch.no_grad():
            acc = accuracy((model(x) > 0).long(), y.long())
        metrics[name] = {"grad_norm_start": g0, "loss_start": fit.history[0]["train_loss"],
                         "loss_end": fit.history[-1]["train_loss"], "accuracy": acc,
                         "w": model.w.item(), "b": model.b.item()}
        paths[name] = [(s.w0, s.b0)] + [(h["w"], h["b"]) for h in fit.history]
    _plot_surfaces(ctx, x, y, paths)
    rows = [[n, v["grad_norm_start"], v["loss_start"], v["loss_end"], v["accuracy"]]
            for n, v in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        "Same start, two losses", ["loss", "‖∇L‖ at start", "first-epoch loss", "final loss",
                                   "training accuracy"], rows)])


def _one_feature(ctx: RunContext, feature: str) -> tuple[Tensor, Tensor]:
    split = load_dataset("breast_cancer", seed=ctx.seed)
    if feature not in split.feature_names:
        from mllab.experiments.base import SettingsError

        raise SettingsError(f"setting feature must be one of {', '.join(split.feature_names)}; "
                            f"got {feature!r}")
    j = split.feature_names.index(feature)
    return split.x_train[:, j:j + 1].double(), split.y_train.double()  # (N, 1), (N,)


def _plot_surfaces(ctx: RunContext, x: Tensor, y: Tensor, paths: dict) -> None:
    from mllab.report import new_figure

    points = [p for path in paths.values() for p in path]
    ws, bs = [p[0] for p in points], [p[1] for p in points]
    w_grid = torch.linspace(min(ws) - 2, max(ws) + 2, 120, dtype=torch.float64)
    b_grid = torch.linspace(min(bs) - 2, max(bs) + 2, 120, dtype=torch.float64)
    W, B = torch.meshgrid(w_grid, b_grid, indexing="xy")  # (120, 120)
    z = W[..., None] * x[:, 0] + B[..., None]  # (120, 120, N)
    fig, axes = new_figure(ncols=2, size=(11, 4.2))
    for ax, (name, loss_fn) in zip(axes, CE_MSE_LOSSES.items(), strict=True):
        surface = torch.stack([loss_fn(zi, y) for zi in z.reshape(-1, len(y))])
        cs = ax.contourf(W.numpy(), B.numpy(), surface.reshape(W.shape).numpy(), levels=30,
                         cmap="viridis")
        fig.colorbar(cs, ax=ax)
        for path_name, path in paths.items():
            ax.plot([p[0] for p in path], [p[1] for p in path], ".-", ms=2, lw=1,
                    label=f"path with {path_name}",
                    color="tab:red" if path_name == name else "white")
        ax.set(xlabel="w", ylabel="b", title=f"{name} surface")
        ax.legend(fontsize=7, loc="lower left")
    ctx.save_figure(fig, "loss_surfaces", "Error surfaces of cross-entropy and MSE over (w, b) "
                    "for σ(wx + b) on one breast-cancer feature, with both training paths")


# ------------------------------------------------------------------------- linear-limit
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
    """Accuracy that counts as separating the classes (in (0.5, 1])."""

    def validate(self) -> None:
        require(self.per_cluster >= 2, "per_cluster", ">= 2", self.per_cluster)
        require(self.spread > 0, "spread", "> 0", self.spread)
        require(self.restarts >= 1, "restarts", ">= 1", self.restarts)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0.5 < self.separated <= 1, "separated", "in (0.5, 1]", self.separated)

    @classmethod
    def quick(cls) -> LinearLimitSettings:
        return cls(restarts=3, epochs=1000)


def xor_clusters(per_cluster: int, spread: float, generator: torch.Generator
                 ) -> tuple[Tensor, Tensor]:
    r"""SYNTHETIC XOR-like data: Gaussian clusters at (0,0), (1,1) (class 0) and (0,1),
    (1,0) (class 1). Returns x (4·per_cluster, 2) and y (4·per_cluster,) in {0, 1}."""
    corners = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    noise = spread * torch.randn(4, per_cluster, 2, generator=generator)  # (4, n, 2)
    x = (corners[:, None, :] + noise).reshape(-1, 2)  # (4n, 2)
    return x, labels.repeat_interleave(per_cluster)


def best_linear_accuracy(x: Tensor, y: Tensor, n_angles: int = 720) -> float:
    r"""Best accuracy of any linear classifier :math:`[u_\phi^\top x > t]` on 2-D data,
    searched over ``n_angles`` directions (both orientations) and every threshold."""
    phi = torch.arange(n_angles, dtype=torch.float64) * (2 * math.pi / n_angles)
    u = torch.stack([phi.cos(), phi.sin()], dim=1)  # (A, 2)
    proj = x.double() @ u.T  # (N, A)
    order = proj.argsort(dim=0)  # (N, A)
    y_sorted = y.double()[order]  # (N, A): labels in order of projection
    # Threshold after k points: predict 0 for the first k, 1 for the rest.
    ones_after = y_sorted.sum(0) - torch.cat([torch.zeros(1, n_angles, dtype=torch.float64),
                                              y_sorted.cumsum(0)])  # (N+1, A)
    zeros_before = torch.cat([torch.zeros(1, n_angles, dtype=torch.float64),
                              (1 - y_sorted).cumsum(0)])  # (N+1, A)
    return ((ones_after + zeros_before).max() / len(y)).item()


class Cascade(nn.Module):
    r"""Cascaded logistic regressions, as in the lecture: two of them give the transformed
    features :math:`x' = \sigma(W_1 x + b_1)`, a third one classifies them,
    :math:`P(C_1|x) = \sigma(w_2^\top x' + b_2)`; returns the logit (B,)."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(2, 2)
        self.second = nn.Linear(2, 1)

    def features(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.first(x))  # (B, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.second(self.features(x)).squeeze(-1)  # (B,)


def judge_linear_limit(m: dict, s: LinearLimitSettings) -> tuple[str, str]:
    no_line = m["best_linear_accuracy"] < s.separated
    cascade = m["cascade_accuracy"] >= s.separated
    transformed = m["best_linear_accuracy_transformed"] >= s.separated
    verdict = "reproduced" if no_line and cascade and transformed else "not reproduced"
    return verdict, (
        f"best linear classifier on x: accuracy {m['best_linear_accuracy']:.3f} "
        f"({'<' if no_line else '>='} {s.separated:g}; logistic regression by gradient "
        f"descent {m['logistic_accuracy']:.3f}); cascaded logistic regressions "
        f"{m['cascade_accuracy']:.3f} ({'>=' if cascade else '<'} {s.separated:g}); best "
        f"linear classifier on the transformed features "
        f"{m['best_linear_accuracy_transformed']:.3f}")


@experiment(name="linear-limit", lecture=LECTURE, judge=judge_linear_limit,
            claim="No linear classifier separates XOR-like data; cascaded logistic regressions "
                  "(a hidden layer) transform the features so that a linear one does.")
def linear_limit(s: LinearLimitSettings, ctx: RunContext) -> Result:
    x, y = xor_clusters(s.per_cluster, s.spread, ctx.generator("xor"))
    logistic = LogisticRegression(lr=0.5, epochs=2000).fit(x.double(), y)
    best, best_loss = None, math.inf
    for r in range(s.restarts):
        with ctx.trial(f"cascade-{r}") as t:
            model = Cascade()
            fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr),
                        binary_cross_entropy, (x, y.float()), None,
                        TrainConfig(epochs=s.epochs), fingerprint=s.to_dict())
        if fit.history[-1]["train_loss"] < best_loss:
            best, best_loss = model, fit.history[-1]["train_loss"]
    with torch.no_grad():
        x_prime = best.features(x)
        cascade_acc = accuracy((best(x) > 0).long(), y)
    metrics = {
        "best_linear_accuracy": best_linear_accuracy(x, y),
        "logistic_accuracy": accuracy(logistic.predict(x.double()), y),
        "cascade_accuracy": cascade_acc, "cascade_loss": best_loss,
        "best_linear_accuracy_transformed": best_linear_accuracy(x_prime, y),
    }
    _plot_transform(ctx, x, y, x_prime)
    return Result(metrics=metrics)


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
