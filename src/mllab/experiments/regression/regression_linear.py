r"""``regression-linear``: gradient descent on :math:`y = b + wx` reaches the least-squares
optimum (checked against the closed form), and a model that sees the previous 7 days of the
SYNTHETIC views series predicts the next day better than one that sees 1."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.analysis import least_squares, linear_mse, mse_hessian
from mllab.config import require
from mllab.data import sliding_windows
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.regression import LECTURE
from mllab.experiments.regression.views import MAX_WINDOW, views_split
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.train import TrainConfig


@dataclass
class LinearSettings(Settings):
    days: int = 730
    """Length of each synthetic views series (>= 60)."""
    valid_fraction: float = 0.25
    """Share of the last days used for validation, in (0, 0.5]."""
    lr_scale: float = 1.8
    """Learning rate as a multiple of 1/λ_max of the loss Hessian, in (0, 2)."""
    epochs: int = 40000
    """Full-batch gradient-descent updates (>= 1)."""
    repeats: int = 5
    """Independent synthetic series (and so training runs) per model (>= 1)."""
    tolerance: float = 1e-3
    """Largest relative excess loss (L_gd - L*)/L* of y = b + wx that counts as reaching the
    least-squares optimum (> 0): a thousandth of the loss, far below what the eye sees on
    the error surface and far above float32 rounding."""
    valid_margin: float = 0.0
    """Noise allowance on the validation-MSE difference, 1 day minus 7 days (>= 0): the claim
    is a direction; the interval over repeats carries the noise."""

    def validate(self) -> None:
        require(self.days >= 60, "days", ">= 60", self.days)
        require(0 < self.valid_fraction <= 0.5, "valid_fraction", "in (0, 0.5]",
                self.valid_fraction)
        require(0 < self.lr_scale < 2, "lr_scale", "in (0, 2)", self.lr_scale)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(self.tolerance > 0, "tolerance", "> 0", self.tolerance)
        require(self.valid_margin >= 0, "valid_margin", ">= 0", self.valid_margin)

    @classmethod
    def quick(cls) -> LinearSettings:
        return cls(days=365, epochs=2000, repeats=2)


def judge_linear(m: dict, s: LinearSettings) -> Evidence:
    one, seven = m["1-day"], m["7-days"]
    return Evidence(checks=[
        Check("gradient descent on y = b + wx reaches the least-squares optimum",
              "relative excess loss (L_gd − L*)/L* after training", one["relative_excess_loss"],
              margin=0.0, threshold=s.tolerance, below=True,
              reason=f"the tolerance {s.tolerance:g} itself is the allowance"),
        Check("the previous 7 days predict better than 1",
              "validation MSE, 1-day model minus 7-day model",
              paired(one["valid_mse"], seven["valid_mse"]),
              margin=s.valid_margin, reason="the claim is a direction (valid_margin)"),
    ], notes=[f"the 7-day model's own relative excess loss: "
              f"{', '.join(f'{v:.2e}' for v in seven['relative_excess_loss'])} (its Hessian is "
              f"ill-conditioned, so plain gradient descent is slower there)"])


@experiment(name="regression-linear", lecture=LECTURE, judge=judge_linear,
            claim="Gradient descent on y = b + wx reaches the least-squares optimum, and a "
                  "model that sees the previous 7 days predicts better than one that sees 1.")
def regression_linear(s: LinearSettings, ctx: RunContext) -> Result:
    keys = ("eta", "train_mse", "least_squares_mse", "relative_excess_loss",
            "max_abs_param_gap", "valid_mse", "w_last_day", "b")
    metrics = {name: {key: [] for key in keys} for name in ("1-day", "7-days")}
    fits = {}
    ctx.plan(trials=s.repeats * 2)
    for r in range(s.repeats):
        for name, k in (("1-day", 1), ("7-days", 7)):
            series, train, valid = views_split(ctx.generator(f"views/r{r}"), s.days, k,
                                               s.valid_fraction)
            theta_star, loss_star = least_squares(*train)
            eta = s.lr_scale / torch.linalg.eigvalsh(mse_hessian(train[0])).max().item()
            with ctx.trial(f"{name}-r{r}") as t:
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
            w = model.linear.weight.detach().double()[0]
            theta = torch.cat([w, model.linear.bias.detach().double()])  # (k+1,)
            loss_gd = linear_mse(theta, train[0].double(), train[1].double())  # after training
            values = {"eta": eta, "train_mse": loss_gd, "least_squares_mse": loss_star,
                      "relative_excess_loss": (loss_gd - loss_star) / loss_star,
                      "max_abs_param_gap": (theta - theta_star).abs().max().item(),
                      "valid_mse": fit.history[-1]["valid_loss"], "w_last_day": w[-1].item(),
                      "b": theta[-1].item()}
            for key, value in values.items():
                metrics[name][key].append(value)
            if r == 0:
                fits[name] = (model, fit, theta_star, train, valid, series)
    _plot_error_surface(ctx, *fits["1-day"][:5])
    _plot_predictions(ctx, fits["1-day"][5], {n: f[0] for n, f in fits.items()},
                      fits["1-day"][4])
    rows = [[n, r, m["train_mse"][r], m["least_squares_mse"][r], m["relative_excess_loss"][r],
             m["valid_mse"][r]] for r in range(s.repeats) for n, m in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        "Gradient descent vs least squares (views in thousands), every repeat",
        ["model", "repeat", "train MSE (GD, after training)", "train MSE (closed form)",
         "relative excess", "valid MSE"], rows)])


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
