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
from mllab.losses import binary_cross_entropy, mse
from mllab.metrics import accuracy
from mllab.train import TrainConfig


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
