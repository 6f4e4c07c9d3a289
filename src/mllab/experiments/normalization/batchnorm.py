r"""``batchnorm``: with batch normalization the loss falls faster and larger learning rates
still train; in evaluation mode BN uses running statistics, so an example's output no longer
depends on its batch. Data: scikit-learn's digits with raw pixel values (0..16)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.normalization import LECTURE
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import BatchNorm
from mllab.train import NonFiniteLossError, TrainConfig


def sigmoid_network(in_features: int, width: int, depth: int, classes: int,
                    batch_norm: bool) -> nn.Sequential:
    r"""``depth`` hidden layers Linear → (BatchNorm) → sigmoid, then Linear to logits."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(in_features if i == 0 else width, width))
        if batch_norm:
            layers.append(BatchNorm(width))
        layers.append(nn.Sigmoid())
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


@dataclass
class BatchNormSettings(Settings):
    lrs: tuple[float, ...] = (0.03, 0.3, 3.0)
    """SGD learning rates to compare, increasing, each > 0."""
    depth: int = 4
    """Hidden sigmoid layers (>= 1)."""
    width: int = 64
    """Units per hidden layer (>= 1)."""
    epochs: int = 15
    """Epochs per network (>= 1)."""
    batch_size: int = 32
    """Mini-batch size (>= 2: batch statistics need two examples)."""
    trains: float = 0.9
    """Final training accuracy that counts as 'still trains' (in (0, 1]): nine in ten digits."""
    repeats: int = 5
    """Independent repeats: data split and initialisations (>= 1)."""

    def validate(self) -> None:
        require(len(self.lrs) >= 2 and all(v > 0 for v in self.lrs)
                and list(self.lrs) == sorted(set(self.lrs)), "lrs",
                "two or more increasing values > 0", self.lrs)
        require(self.depth >= 1, "depth", ">= 1", self.depth)
        require(self.width >= 1, "width", ">= 1", self.width)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.batch_size >= 2, "batch_size", ">= 2", self.batch_size)
        require(0 < self.trains <= 1, "trains", "in (0, 1]", self.trains)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)

    @classmethod
    def quick(cls) -> BatchNormSettings:
        return cls(epochs=5, repeats=2)


def judge_batchnorm(m: dict, s: BatchNormSettings) -> Evidence:
    runs, modes = m["runs"], m["mode_demo"]

    def values(name: str, key: str) -> list[float]:
        return [run[key] for run in runs[name]]

    checks = [Check(f"with batch normalization the loss falls faster (lr {lr:g})",
                    "mean training loss over the epochs, without BN minus with BN",
                    paired(values(f"plain-lr={lr:g}", "auc"),
                                           values(f"bn-lr={lr:g}", "auc")),
                    margin=0.0, reason="the claim is a direction") for lr in s.lrs]
    checks.append(Check(f"with batch normalization a large learning rate still trains "
                        f"(lr {s.lrs[-1]:g})", "training accuracy with BN",
                        values(f"bn-lr={s.lrs[-1]:g}", "train_accuracy"), margin=0.0,
                        threshold=s.trains, reason=f"'trains' = accuracy above {s.trains:g}"))
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "in evaluation mode BN uses its running statistics, so an example's output no longer "
        "depends on the rest of its batch", f"one example inside two batches differs by "
        f"{modes['train_mode_gap']:.3g} in training mode and by {modes['eval_mode_gap']:.3g} "
        "in evaluation mode")])


@experiment(name="batchnorm", lecture=LECTURE, judge=judge_batchnorm,
            claim="With batch normalization the loss falls faster and larger learning rates "
                  "still train; in evaluation mode BN uses running statistics, so an "
                  "example's output no longer depends on its batch.")
def batchnorm(s: BatchNormSettings, ctx: RunContext) -> Result:
    runs: dict[str, list[dict]] = {}
    curves, bn_model, x_mode = {}, None, None
    ctx.plan(trials=s.repeats * 2 * len(s.lrs))
    for r in range(s.repeats):
        split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"), standardize=False)
        train, valid = (split.x_train, split.y_train), (split.x_valid, split.y_valid)
        for use_bn in (False, True):
            for lr in s.lrs:
                name = f"{'bn' if use_bn else 'plain'}-lr={lr:g}"
                with ctx.trial(f"{name}-r{r}") as t:
                    model = sigmoid_network(split.num_features, s.width, s.depth,
                                            split.num_classes, use_bn)
                    try:
                        fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=lr),
                                    cross_entropy, train, valid,
                                    TrainConfig(epochs=s.epochs, batch_size=s.batch_size),
                                    fingerprint=s.to_dict())
                        losses = [h["train_loss"] for h in fit.history]
                    except NonFiniteLossError:
                        losses = []
                diverged = len(losses) < s.epochs
                # A run that diverged learned nothing more: its remaining epochs count at the
                # loss of chance, ln K (a stated rule, so that the mean stays finite).
                losses += [math.log(split.num_classes)] * (s.epochs - len(losses))
                runs.setdefault(name, []).append({
                    "auc": sum(losses) / len(losses), "final_loss": losses[-1],
                    "train_accuracy": 0.0 if diverged else _accuracy(model, *train),
                    "diverged": diverged})
                if r == 0:
                    curves[name] = losses if not diverged else [math.inf]
                if r == 0 and use_bn and lr == s.lrs[0]:
                    bn_model, x_mode = model, split.x_valid
    metrics = {"runs": runs, "mode_demo": _mode_demo(bn_model, x_mode)}
    _plot_curves(ctx, curves, s)
    rows = [[n, i, v["auc"], v["final_loss"], v["train_accuracy"], v["diverged"]]
            for n, rs in runs.items() for i, v in enumerate(rs)]
    return Result(metrics=metrics, tables=[table(
        "Training by learning rate, with and without batch normalization, every repeat",
        ["network", "repeat", "mean training loss", "final training loss", "training accuracy",
         "diverged"], rows)])


@torch.no_grad()
def _accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    return accuracy(model(x), y)


@torch.no_grad()
def _mode_demo(model: nn.Module, x: Tensor) -> dict:
    r"""Example 0 inside two different batches: in training mode BN normalizes with each
    batch's μ and σ, so its output changes; in evaluation mode it uses the running μ̄, σ̄."""
    a, b = x[:16], torch.cat([x[:1], x[-15:]])  # both batches start with example 0
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    train_gap = (model(a)[0] - model(b)[0]).abs().max().item()
    model.load_state_dict(state)  # training mode moved the running statistics: undo
    model.eval()
    eval_gap = (model(a)[0] - model(b)[0]).abs().max().item()
    return {"train_mode_gap": train_gap, "eval_mode_gap": eval_gap}


def _plot_curves(ctx: RunContext, curves: dict, s: BatchNormSettings) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=len(s.lrs), size=(4 * len(s.lrs), 3.6))
    for ax, lr in zip(axes, s.lrs, strict=True):
        for kind, style in (("plain", "--"), ("bn", "-")):
            losses = curves[f"{kind}-lr={lr:g}"]
            if math.isfinite(losses[-1]):
                ax.plot(range(1, len(losses) + 1), losses, style,
                        label="with BN" if kind == "bn" else "without BN")
            else:
                ax.text(0.5, 0.4 if kind == "bn" else 0.6,
                        f"{'with' if kind == 'bn' else 'without'} BN: diverged",
                        transform=ax.transAxes, ha="center")
        ax.set(title=f"SGD, lr = {lr:g}", xlabel="epoch", ylabel="training loss")
        ax.legend(fontsize=8)
    ctx.save_figure(fig, "training_curves", "Training loss per epoch of a deep sigmoid network "
                    "on raw digits pixels, with and without batch normalization")
