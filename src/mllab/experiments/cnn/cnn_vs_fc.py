r"""``cnn-vs-fc``: on digits, a CNN (receptive fields + parameter sharing) beats a fully
connected network with as many or more parameters, and training on slightly shifted copies
helps."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.data import load_dataset, with_shifted_copies
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.cnn import LECTURE
from mllab.experiments.context import RunContext
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
    """Random initialisations of every network; accuracies are averaged (>= 1)."""

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

    @classmethod
    def quick(cls) -> CNNSettings:
        return cls(epochs=12, patience=4, repeats=1)


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


def compare(a: list[float], b: list[float]) -> tuple[str, float, float]:
    r"""Is mean(a) above mean(b)? ``"held"`` if by more than two standard errors of the
    difference, ``"contradicted"`` if below by more than that, else ``"within noise"``.

    .. math:: \mathrm{se} = \sqrt{s_a^2/n_a + s_b^2/n_b}

    (with one run per side the standard error is 0 and the plain comparison decides).
    """
    def mean_var(v: list[float]) -> tuple[float, float]:
        m = sum(v) / len(v)
        return m, (sum((x - m) ** 2 for x in v) / (len(v) - 1) if len(v) > 1 else 0.0)

    (ma, va), (mb, vb) = mean_var(a), mean_var(b)
    diff, se = ma - mb, (va / len(a) + vb / len(b)) ** 0.5
    if diff > 2 * se:
        return "held", diff, se
    return ("contradicted" if diff < -2 * se else "within noise"), diff, se


def judge_cnn(m: dict, s: CNNSettings) -> tuple[str, str]:
    runs, params = m["test_accuracy_runs"], m["parameters"]
    small_enough = params["cnn"] <= params["fully-connected"]
    checks = {"CNN beats fully connected": compare(runs["cnn"], runs["fully-connected"]),
              "shifted copies help the CNN": compare(runs["cnn-shifted-data"], runs["cnn"])}
    outcomes = [c[0] for c in checks.values()]
    if small_enough and all(o == "held" for o in outcomes):
        verdict = "reproduced"
    elif not small_enough or "contradicted" in outcomes:
        verdict = "not reproduced"
    else:
        verdict = "inconclusive"
    parts = [f"{name}: {o} (difference {d:+.4f}, 2·se {2 * se:.4f})"
             for name, (o, d, se) in checks.items()]
    acc = m["test_accuracy"]
    return verdict, (
        f"mean test accuracy over {s.repeats} runs: CNN {acc['cnn']:.4f} "
        f"({params['cnn']} parameters, {'' if small_enough else 'NOT '}at most the fully "
        f"connected network's {params['fully-connected']}), fully connected "
        f"{acc['fully-connected']:.4f}, CNN on shifted copies {acc['cnn-shifted-data']:.4f}, "
        f"CNN without pooling {acc['cnn-no-pooling']:.4f} ({params['cnn-no-pooling']} "
        f"parameters, for information); " + "; ".join(parts))


@experiment(name="cnn-vs-fc", lecture=LECTURE, judge=judge_cnn,
            claim="On images, a CNN (receptive fields + parameter sharing) beats a fully "
                  "connected network with as many or more parameters, and training on "
                  "slightly shifted copies helps.")
def cnn_vs_fc(s: CNNSettings, ctx: RunContext) -> Result:
    split = load_dataset("digits", seed=ctx.seed)
    train, valid = (split.x_train, split.y_train), (split.x_valid, split.y_valid)
    shifted = with_shifted_copies(*train, (1, 8, 8))
    config = TrainConfig(epochs=s.epochs, batch_size=s.batch_size, patience=s.patience)
    accuracies: dict[str, list[float]] = {}
    parameters, epochs_run = {}, {}
    for name, build in _models(s).items():
        for r in range(s.repeats):
            with ctx.trial(f"{name}-{r}") as t:
                model = build()
                fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr),
                            cross_entropy, shifted if name == "cnn-shifted-data" else train,
                            valid, config, fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                acc = accuracy(model(split.x_test), split.y_test)
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
