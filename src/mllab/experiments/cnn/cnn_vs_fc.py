r"""``cnn-vs-fc``: on digits, a CNN (receptive fields + parameter sharing) beats a fully
connected network with as many or more parameters, and training on slightly shifted copies
helps.

Every network trains with Adam and early stopping on the validation split (best weights
restored) and is scored once on the test split, in each of ``repeats`` repeats with its own
split. The shifted copies are made from the raw 8×8 images (shifted by one pixel up, down,
left and right, the new border black) and then standardized with the statistics of the
augmented training set; that run gets a fifth of the epochs and of the patience, so it makes
at most as many updates as the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.data import Standardizer, load_dataset, with_shifted_copies
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.cnn import LECTURE
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import CNN, MLP, CNNConfig, MLPConfig, num_parameters
from mllab.train import TrainConfig


@dataclass
class CNNSettings(Settings):
    fc_width: int = 100
    """Hidden units of each of the fully connected network's two hidden layers (>= 1)."""
    channels: tuple[int, ...] = (16, 32)
    """Filters of the CNN's convolutional layers (each >= 1)."""
    hidden: int = 64
    """Fully connected units after the CNN's convolutions (>= 0)."""
    nopool_channels: tuple[int, ...] = (8, 16)
    """Filters of the CNN without pooling, kept small so its size stays comparable."""
    epochs: int = 60
    """Most epochs per network; early stopping usually ends sooner (>= 1)."""
    patience: int = 8
    """Early-stopping patience in epochs (>= 1)."""
    batch_size: int = 32
    """Mini-batch size (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: data split and every network's initialisation (>= 1)."""
    margin: float = 0.0
    """Noise allowance on the test-accuracy differences (>= 0): the claims are directions."""

    def validate(self) -> None:
        require(self.fc_width >= 1, "fc_width", ">= 1", self.fc_width)
        for name in ("channels", "nopool_channels"):
            value = getattr(self, name)
            require(len(value) >= 1 and min(value) >= 1, name, "one or more integers >= 1",
                    value)
        require(self.hidden >= 0, "hidden", ">= 0", self.hidden)
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.patience >= 1, "patience", ">= 1", self.patience)
        require(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> CNNSettings:
        return cls(epochs=12, patience=4, repeats=2)


def _models(s: CNNSettings) -> dict:
    return {
        "fully-connected": lambda: MLP(MLPConfig(in_features=64, out_features=10, depth=2,
                                                 width=s.fc_width)),
        "cnn": lambda: CNN(CNNConfig(channels=s.channels, hidden=s.hidden, pool=True)),
        "cnn-no-pooling": lambda: CNN(CNNConfig(channels=s.nopool_channels, hidden=0,
                                                pool=False)),
        "cnn-shifted-data": lambda: CNN(CNNConfig(channels=s.channels, hidden=s.hidden,
                                                  pool=True)),
    }


def judge_cnn(m: dict, s: CNNSettings) -> Evidence:
    runs, params = m["test_accuracy_runs"], m["parameters"]

    def minus(a: str, b: str) -> list[float]:
        return paired(runs[a], runs[b])

    return Evidence(
        checks=[Check("a CNN beats a fully connected network with more parameters",
                      "test accuracy, CNN minus fully connected", minus("cnn", "fully-connected"),
                      margin=s.margin, reason="the claims are directions (margin)"),
                Check("training on shifted copies helps the CNN", "test accuracy, CNN on shifted "
                      "copies minus CNN (the same number of updates at most)",
                      minus("cnn-shifted-data", "cnn"), margin=s.margin,
                      reason="the claims are directions (margin)")],
        demonstrations=[Demonstration(
            "receptive fields and parameter sharing need fewer parameters (by construction)",
            f"CNN {params['cnn']}, fully connected {params['fully-connected']}, CNN without "
            f"pooling {params['cnn-no-pooling']} parameters")],
        notes=["CNN without pooling, test accuracy per repeat: " + ", ".join(
            f"{v:.4f}" for v in runs["cnn-no-pooling"])])


@experiment(name="cnn-vs-fc", lecture=LECTURE, judge=judge_cnn,
            claim="On images, a CNN (receptive fields + parameter sharing) beats a fully "
                  "connected network with as many or more parameters, and training on "
                  "slightly shifted copies helps.")
def cnn_vs_fc(s: CNNSettings, ctx: RunContext) -> Result:
    accuracies: dict[str, list[float]] = {}
    parameters, epochs_run = {}, {}
    ctx.plan(trials=s.repeats * len(_models(s)))
    for r in range(s.repeats):
        raw = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"), standardize=False)
        for name, build in _models(s).items():
            train, valid, test, epochs, patience = _data(raw, s, shifted=name == "cnn-shifted-data")
            with ctx.trial(f"{name}-r{r}") as t:
                model = build()
                fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
                            train, valid, TrainConfig(epochs=epochs, batch_size=s.batch_size,
                                                      patience=patience),
                            fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                acc = accuracy(model(test[0]), test[1])
            accuracies.setdefault(name, []).append(acc)
            epochs_run.setdefault(name, []).append(len(fit.history))
            parameters[name] = num_parameters(model)
    mean = {n: sum(v) / len(v) for n, v in accuracies.items()}
    spread = {n: max(v) - min(v) for n, v in accuracies.items()}
    rows = [[n, parameters[n], mean[n], spread[n], sum(epochs_run[n]) / s.repeats]
            for n in mean]
    _plot_accuracy(ctx, accuracies, parameters)
    return Result(metrics={"test_accuracy": mean, "test_accuracy_spread": spread,
                           "test_accuracy_runs": accuracies, "parameters": parameters},
                  tables=[table("Digits test accuracy", ["network", "parameters",
                                                         "mean accuracy", "max − min",
                                                         "epochs (mean)"], rows)])


def _data(raw, s: CNNSettings, *, shifted: bool) -> tuple:
    r"""Train, validation and test data standardized with the training statistics; with
    ``shifted``, the raw training images and their copies shifted by a pixel (the fill is
    black, 0) are standardized together, and the epochs and patience shrink by the copies'
    factor so that the run makes at most as many updates as the others."""
    x, y = raw.x_train, raw.y_train
    if shifted:
        x, y = with_shifted_copies(x, y, (1, 8, 8))
    scaler = Standardizer().fit(x)
    k = len(x) // len(raw.x_train)  # 1, or 5 with the shifted copies
    return ((scaler.transform(x), y), (scaler.transform(raw.x_valid), raw.y_valid),
            (scaler.transform(raw.x_test), raw.y_test), math.ceil(s.epochs / k),
            math.ceil(s.patience / k))


def _plot_accuracy(ctx: RunContext, accuracies: dict, parameters: dict) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 3.8))
    names = list(accuracies)
    for i, name in enumerate(names):
        ax.scatter([i] * len(accuracies[name]), accuracies[name], color="tab:blue", s=14)
        ax.plot([i - 0.2, i + 0.2], [sum(accuracies[name]) / len(accuracies[name])] * 2,
                color="k")
    ax.set_xticks(range(len(names)), [f"{n}\n{parameters[n]:,} params" for n in names],
                  fontsize=8)
    ax.set(ylabel="test accuracy", title="Digits: fully connected vs CNN")
    ctx.save_figure(fig, "accuracy", "Test accuracy of each network (dots: runs, bar: mean)")
