r"""Lecture 1 (Regression): machine learning is looking for a function.

The running example predicts tomorrow's views of a YouTube channel from the previous days.
The channel's data are not public: every series here is SYNTHETIC
(:func:`mllab.data.channel_views`: weekly cycle, slow trend, one holiday outlier), so the
numbers are not the lecture's, only the shapes of the claims are.

Differences from the course: the lecture trains on 2017–2020 and tests on 2021; here the
first ``1 - valid_fraction`` of the synthetic days train and the rest validate, in time order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.data import Standardizer, channel_views, kinked_curve, sliding_windows
from mllab.experiments.base import Result, Settings, experiment, require, table
from mllab.experiments.context import RunContext
from mllab.losses import mse
from mllab.nn import MLP, LinearModel, MLPConfig, ReLUNetwork, SigmoidNetwork
from mllab.train import TrainConfig

LECTURE = "Regression"
MAX_WINDOW = 7
"""Every views model predicts the same days: those after the first ``MAX_WINDOW`` ones."""


def views_split(ctx: RunContext, days: int, k: int, valid_fraction: float, *,
                window_offset: int = MAX_WINDOW):
    r"""(previous ``k`` days -> next day) samples of the synthetic views series, split in
    time order into train and validation; all ``k`` share the same target days."""
    series = channel_views(days, generator=ctx.generator("views"))  # (T,)
    x, y = sliding_windows(series, k)  # (T-k, k), (T-k,)
    x, y = x[window_offset - k:], y[window_offset - k:]  # targets are series[offset:]
    n_train = round(len(x) * (1 - valid_fraction))
    return series, (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def least_squares(x: Tensor, y: Tensor) -> tuple[Tensor, float]:
    r"""Closed-form optimum of :math:`L(w, b) = \frac1N \sum_n (b + w^\top x_n - y_n)^2`.

    .. math:: \theta^* = \arg\min_\theta \|A\theta - y\|^2, \quad A = [X \; 1]

    Returns :math:`\theta^* = (w_1..w_k, b)` in float64 and :math:`L(\theta^*)`.
    """
    a = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)  # (N, k+1)
    theta = torch.linalg.lstsq(a, y.double().unsqueeze(1)).solution.squeeze(1)  # (k+1,)
    return theta, (a @ theta - y.double()).square().mean().item()


def mse_hessian_max_eigenvalue(x: Tensor) -> float:
    r"""Largest eigenvalue of the MSE's Hessian :math:`H = \frac2N A^\top A`, :math:`A=[X\;1]`.

    Gradient descent on a quadratic converges for :math:`\eta < 2/\lambda_{max}`.
    """
    a = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)  # (N, k+1)
    return torch.linalg.eigvalsh(2 * a.T @ a / len(x)).max().item()


# --------------------------------------------------------------------- regression-linear
@dataclass
class LinearSettings(Settings):
    days: int = 730
    """Length of the synthetic views series (>= 60)."""
    valid_fraction: float = 0.25
    """Share of the last days used for validation, in (0, 0.5]."""
    lr_scale: float = 1.8
    """Learning rate as a multiple of 1/λ_max of the loss Hessian, in (0, 2)."""
    epochs: int = 40000
    """Full-batch gradient-descent updates (>= 1)."""
    tolerance: float = 1e-3
    """Largest relative excess loss (L_gd - L*)/L* of y = b + wx that counts as reaching the
    least-squares optimum (> 0)."""

    def validate(self) -> None:
        require(self.days >= 60, "days", ">= 60", self.days)
        require(0 < self.valid_fraction <= 0.5, "valid_fraction", "in (0, 0.5]",
                self.valid_fraction)
        require(0 < self.lr_scale < 2, "lr_scale", "in (0, 2)", self.lr_scale)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.tolerance > 0, "tolerance", "> 0", self.tolerance)

    @classmethod
    def quick(cls) -> LinearSettings:
        return cls(days=365, epochs=8000)


def judge_linear(m: dict, s: LinearSettings) -> tuple[str, str]:
    gap = m["1-day"]["relative_excess_loss"]
    reached = gap <= s.tolerance
    better = m["7-days"]["valid_mse"] < m["1-day"]["valid_mse"]
    verdict = "reproduced" if reached and better else "not reproduced"
    return verdict, (
        f"y = b + wx by gradient descent vs closed form: relative excess loss {gap:.2e} "
        f"({'<=' if reached else '>'} tolerance {s.tolerance:g}); validation MSE 7 days "
        f"{m['7-days']['valid_mse']:.4f} {'<' if better else '>='} 1 day "
        f"{m['1-day']['valid_mse']:.4f} (7-day model's own excess loss "
        f"{m['7-days']['relative_excess_loss']:.2e}, for information)")


@experiment(name="regression-linear", lecture=LECTURE, judge=judge_linear,
            claim="Gradient descent on y = b + wx reaches the least-squares optimum, and a "
                  "model that sees the previous 7 days predicts better than one that sees 1.")
def regression_linear(s: LinearSettings, ctx: RunContext) -> Result:
    metrics, fits = {}, {}
    for name, k in (("1-day", 1), ("7-days", 7)):
        series, train, valid = views_split(ctx, s.days, k, s.valid_fraction)
        theta_star, loss_star = least_squares(*train)
        eta = s.lr_scale / mse_hessian_max_eigenvalue(train[0])
        with ctx.trial(name) as t:
            model = LinearModel(k)
            with torch.no_grad():  # the lecture starts from w = b = 0
                model.linear.weight.zero_()
                model.linear.bias.zero_()
            optimizer = torch.optim.SGD(model.parameters(), lr=eta)

            def path(m: LinearModel) -> dict:
                return {"w": m.linear.weight[0, -1].item(), "b": m.linear.bias.item()}

            fit = t.fit(model, optimizer, mse, train, valid,
                        TrainConfig(epochs=s.epochs), fingerprint=s.to_dict(),
                        extra_metrics=path if k == 1 else None)
        loss_gd = fit.history[-1]["train_loss"]
        w = model.linear.weight.detach().double()[0]
        metrics[name] = {
            "eta": eta, "train_mse": loss_gd, "least_squares_mse": loss_star,
            "relative_excess_loss": (loss_gd - loss_star) / loss_star,
            "max_abs_param_gap": max((w - theta_star[:-1]).abs().max().item(),
                                     abs(model.linear.bias.item() - theta_star[-1].item())),
            "valid_mse": fit.history[-1]["valid_loss"],
            "w_last_day": w[-1].item(), "b": model.linear.bias.item(),
        }
        fits[name] = (model, fit, theta_star, train, valid)
    _plot_error_surface(ctx, *fits["1-day"])
    _plot_predictions(ctx, series, {n: f[0] for n, f in fits.items()}, fits["1-day"][4])
    rows = [[n, m["train_mse"], m["least_squares_mse"], m["relative_excess_loss"],
             m["valid_mse"]] for n, m in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        "Gradient descent vs least squares (views in thousands)",
        ["model", "train MSE (GD)", "train MSE (closed form)", "relative excess",
         "valid MSE"], rows)])


def _plot_error_surface(ctx: RunContext, model, fit, theta_star, train, valid) -> None:
    from mllab.report import new_figure

    x, y = train[0].double()[:, 0], train[1].double()
    w_star, b_star = theta_star[0].item(), theta_star[1].item()
    ws = [h["w"] for h in fit.history]
    bs = [h["b"] for h in fit.history]
    w_grid = torch.linspace(min(min(ws), w_star) - 0.3, max(max(ws), w_star) + 0.3, 160)
    b_grid = torch.linspace(min(min(bs), b_star) - 1.0, max(max(bs), b_star) + 1.0, 160)
    W, B = torch.meshgrid(w_grid.double(), b_grid.double(), indexing="xy")  # (160, 160)
    L = (B[..., None] + W[..., None] * x - y).square().mean(-1)  # (160, 160)
    fig, ax = new_figure()
    cs = ax.contour(W.numpy(), B.numpy(), L.log10().numpy(), levels=25, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="log10 L(w, b)")
    ax.plot([0.0] + ws, [0.0] + bs, color="tab:red", lw=1.2, label="gradient descent")
    ax.plot(w_star, b_star, "k*", ms=12, label="closed-form optimum")
    ax.set(xlabel="w", ylabel="b", title="Error surface of y = b + w x (1 day)")
    ax.legend()
    ctx.save_figure(fig, "error_surface",
                    "Error surface L(w, b) (log scale) with the gradient-descent path from "
                    "w = b = 0 and the least-squares optimum")


def _plot_predictions(ctx: RunContext, series: Tensor, models: dict, valid) -> None:
    from mllab.report import new_figure

    days = torch.arange(len(series))
    first_valid = len(series) - len(valid[1])
    fig, ax = new_figure(size=(10, 4))
    ax.plot(days.numpy(), series.numpy(), color="0.6", lw=1, label="views (synthetic)")
    for name, model in models.items():
        k = model.linear.in_features
        x, _ = sliding_windows(series, k)
        x = x[MAX_WINDOW - k:]  # predictions for days MAX_WINDOW..T-1
        with torch.no_grad():
            pred = model(x)
        ax.plot(days[MAX_WINDOW:].numpy(), pred.numpy(), lw=1, label=f"prediction, {name}")
    ax.axvline(first_valid, color="k", ls="--", lw=1, label="validation starts")
    ax.set(xlabel="day", ylabel="views (thousands)", title="Predictions vs truth")
    ax.legend(loc="lower right")
    ctx.save_figure(fig, "predictions", "Synthetic daily views and the 1-day and 7-day "
                    "linear models' predictions; right of the dashed line is validation")


# --------------------------------------------------------------------- regression-sigmoids
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

    def validate(self) -> None:
        require(self.n_points >= 20, "n_points", ">= 20", self.n_points)
        require(self.noise >= 0, "noise", ">= 0", self.noise)
        require(len(self.counts) >= 2 and all(c >= 1 for c in self.counts)
                and list(self.counts) == sorted(set(self.counts)),
                "counts", "two or more increasing integers >= 1", self.counts)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)

    @classmethod
    def quick(cls) -> SigmoidSettings:
        return cls(n_points=100, epochs=1500)


def judge_sigmoids(m: dict, s: SigmoidSettings) -> tuple[str, str]:
    parts, held = [], True
    for family in ("sigmoid", "relu"):
        losses = [m["linear"]] + [m[f"{family}-{c}"] for c in s.counts]
        decreasing = all(b < a for a, b in zip(losses, losses[1:], strict=False))
        held &= decreasing
        chain = " > ".join(f"{v:.4f}" for v in losses)
        parts.append(f"{family}s: linear, {', '.join(map(str, s.counts))} -> training MSE "
                     f"{chain} ({'decreasing' if decreasing else 'NOT decreasing'})")
    return ("reproduced" if held else "not reproduced"), "; ".join(parts)


@experiment(name="regression-sigmoids", lecture=LECTURE, judge=judge_sigmoids,
            claim="A sum of more sigmoids (or ReLUs) approximates a curve with kinks better: "
                  "the training loss falls as their number grows, and a linear model is worst.")
def regression_sigmoids(s: SigmoidSettings, ctx: RunContext) -> Result:
    x, y = kinked_curve(s.n_points, generator=ctx.generator("curve"), noise=s.noise)
    models = {"linear": lambda: LinearModel(1)}
    for c in s.counts:
        models[f"sigmoid-{c}"] = lambda c=c: SigmoidNetwork(1, c)
        models[f"relu-{c}"] = lambda c=c: ReLUNetwork(1, c)
    metrics, fitted = {}, {}
    for name, build in models.items():
        with ctx.trial(name) as t:
            model = build()
            optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
            t.fit(model, optimizer, mse, (x, y), None, TrainConfig(epochs=s.epochs),
                  fingerprint=s.to_dict())
            with torch.no_grad():
                metrics[name] = mse(model(x), y).item()
            fitted[name] = model
    _plot_curves(ctx, x, y, fitted, s.counts)
    rows = [[name, loss] for name, loss in metrics.items()]
    return Result(metrics=metrics, tables=[table("Training MSE by model", ["model", "MSE"],
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


# --------------------------------------------------------------------- regression-depth
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
