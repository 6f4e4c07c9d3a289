r"""``ce-vs-mse``: from the same poor start, cross-entropy makes progress where the loss is
large, while mean squared error's surface is flat there; :math:`\sigma(wx + b)` on one
breast-cancer feature."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.classification import LECTURE
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.losses import binary_cross_entropy, mse
from mllab.metrics import accuracy
from mllab.train import TrainConfig


@dataclass
class LossSurfaceSettings(Settings):
    feature: str = "worst radius"
    """The breast-cancer feature the classifier σ(wx + b) sees."""
    starts: tuple[float, ...] = (3.0, 5.0)
    """Range of the starting w and b, each drawn uniformly per repeat: positive w is
    confidently wrong, since a large radius means malignant (0)."""
    repeats: int = 5
    """Independent repeats: data split and start (>= 1)."""
    lr: float = 0.5
    """Gradient-descent learning rate, the same for both losses (> 0)."""
    epochs: int = 300
    """Full-batch updates for each loss (>= 1)."""

    def validate(self) -> None:
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(len(self.starts) == 2 and all(map(math.isfinite, self.starts))
                and self.starts[0] <= self.starts[1], "starts", "a range (low, high)",
                self.starts)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        from sklearn.datasets import load_breast_cancer

        names = [str(f) for f in load_breast_cancer().feature_names]
        require(self.feature in names, "feature", f"one of {', '.join(names)}", self.feature)

    @classmethod
    def quick(cls) -> LossSurfaceSettings:
        return cls(epochs=150, repeats=2)


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


def judge_ce_vs_mse(m: dict, s: LossSurfaceSettings) -> Evidence:
    ce, ms = m["cross-entropy"], m["mse"]
    return Evidence(checks=[Check(
        "from the same poor start cross-entropy makes progress where MSE does not",
        f"training accuracy after {s.epochs} updates, cross-entropy minus MSE",
        paired(ce["accuracy"], ms["accuracy"]), margin=0.0,
        reason="the claim is a direction")], demonstrations=[Demonstration(
            "each gradient of MSE on σ(z) is cross-entropy's times 2σ(1 − σ) <= ½: where the "
            "loss is large MSE's surface is flatter",
            "‖∇L‖ at the start, cross-entropy / MSE per repeat: " + ", ".join(
                f"{a / b:.1f}" for a, b in zip(ce["grad_norm_start"], ms["grad_norm_start"],
                                               strict=True)))])


@experiment(name="ce-vs-mse", lecture=LECTURE, judge=judge_ce_vs_mse,
            claim="From the same poor start, cross-entropy makes progress where the loss is "
                  "large, while mean squared error's surface is flat there.")
def ce_vs_mse(s: LossSurfaceSettings, ctx: RunContext) -> Result:
    keys = ("w0", "b0", "grad_norm_start", "loss_start", "loss_end", "accuracy", "w", "b")
    metrics = {name: {k: [] for k in keys} for name in CE_MSE_LOSSES}
    ctx.plan(trials=s.repeats * len(CE_MSE_LOSSES))
    for r in range(s.repeats):
        x, y = _one_feature(ctx, s.feature, r)
        lo, hi = s.starts
        w0, b0 = (lo + (hi - lo) * torch.rand(2, generator=ctx.generator(f"start/r{r}"),
                                               dtype=torch.float64)).tolist()
        paths = {}
        for name, loss_fn in CE_MSE_LOSSES.items():
            with ctx.trial(f"{name}-r{r}") as t:
                model = Logistic1d(w0, b0)
                loss_fn(model(x), y).backward()
                g0 = math.hypot(model.w.grad.item(), model.b.grad.item())
                model.zero_grad()
                fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=s.lr), loss_fn,
                            (x, y), None, TrainConfig(epochs=s.epochs), fingerprint=s.to_dict(),
                            extra_metrics=lambda m: {"w": m.w.item(), "b": m.b.item()})
            with torch.no_grad():
                acc = accuracy((model(x) > 0).long(), y.long())
            values = {"w0": w0, "b0": b0, "grad_norm_start": g0,
                      "loss_start": fit.history[0]["train_loss"],
                      "loss_end": fit.history[-1]["train_loss"], "accuracy": acc,
                      "w": model.w.item(), "b": model.b.item()}
            for key, value in values.items():
                metrics[name][key].append(value)
            paths[name] = [(w0, b0)] + [(h["w"], h["b"]) for h in fit.history]
        if r == 0:
            _plot_surfaces(ctx, x, y, paths)
    rows = [[n, r, v["w0"][r], v["b0"][r], v["grad_norm_start"][r], v["loss_start"][r],
             v["loss_end"][r], v["accuracy"][r]]
            for r in range(s.repeats) for n, v in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        "Same start, two losses, every repeat",
        ["loss", "repeat", "w0", "b0", "‖∇L‖ at start", "first-epoch loss", "final loss",
         "training accuracy"], rows)])


def _one_feature(ctx: RunContext, feature: str, r: int) -> tuple[Tensor, Tensor]:
    split = load_dataset("breast_cancer", seed=ctx.seed_for(f"split/r{r}"))
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
