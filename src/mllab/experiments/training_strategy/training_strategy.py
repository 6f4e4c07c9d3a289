r"""``training-strategy``: what to do when the results disappoint.

The lecture's flow chart starts from the training loss. Large on the training data: model
bias, or an optimization issue (a deeper network that is worse *on training data* than a
shallower one cannot be overfitting). Small on training but large on new data: overfitting,
fought with more data, constraints, L2, dropout, early stopping. Model complexity is chosen by
N-fold cross-validation, never by the public test score: many useless models tried on a small
public leaderboard make one of them look great. ``training-strategy`` measures four pieces:

1. a plain sigmoid network of ``deep_depth`` layers vs one of ``shallow_depth`` layers on
   scikit-learn's digits, same optimizer and epochs: the training losses;
2. N-fold cross-validation (:func:`mllab.train.kfold_indices`) choosing the degree of a
   per-feature
   polynomial regression on scikit-learn's diabetes, vs the degree with the lowest training
   loss, both scored on the test split;
3. the public/private leaderboard: on breast cancer, ``random_models`` classifiers that answer
   at random plus a few real ones (logistic regression, Gaussian naive Bayes, an MLP); the best
   on a small public part of the test split vs the best on the validation split, scored on the
   private rest, over ``games`` random public/private partitions;
4. L2, dropout and early stopping vs an unregularized wide MLP on a small subset of digits.

Differences from the course: the lecture's examples are a 56- vs 20-layer CNN on CIFAR-10 and
its homework leaderboards; here everything is small and runs on a CPU. In (3) leaderboard ties
go to the earliest submission, as on Kaggle; submissions arrive in a random order. In (4) a
fraction ``label_noise`` of the subset's training labels are replaced by random classes
(a SYNTHETIC corruption; validation and test labels stay clean): on clean digits an
unregularized network hardly overfits in a visible way. Gaps are measured against the test
split, which no variant sees, since early stopping reads the validation split. Dropout is the
lecture's ``p = 0.5`` (an earlier version used 0.7, chosen after trial runs with 0.5; it is
back to the lecture's value).

Evidence: every part compares on the same repeat (paired), over ``repeats`` independent
repeats; in (3) over the games. That the lowest training loss belongs to the largest degree
(nested features) and that some random guesser scores perfectly on a small public split
(with 10,000 of them) are demonstrations: they follow from the setup.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.analysis import least_squares, linear_mse
from mllab.config import require
from mllab.data import load_dataset, power_features
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.training_strategy import LECTURE, REGULARIZERS
from mllab.experiments.training_strategy.leaderboard import leaderboard_games
from mllab.experiments.training_strategy.plots import (
    plot_depth_and_cv,
    plot_leaderboard,
    plot_regularization,
)
from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig, cross_validation_mse, kfold_indices


@dataclass
class StrategySettings(Settings):
    shallow_depth: int = 2
    """(1) Hidden layers of the shallow sigmoid network (>= 1)."""
    deep_depth: int = 10
    """(1) Hidden layers of the deep sigmoid network (> shallow_depth)."""
    depth_width: int = 64
    """(1) Units per hidden layer of both (>= 1)."""
    depth_epochs: int = 60
    """(1) Epochs of SGD with momentum for both (>= 1)."""
    depth_lr: float = 0.1
    """(1) SGD learning rate (momentum 0.9) (> 0)."""
    folds: int = 5
    """(2) Folds of cross-validation (>= 2)."""
    max_degree: int = 8
    """(2) Polynomial degrees 1..max_degree are compared (>= 2)."""
    random_models: int = 10000
    """(3) Models that answer each example at random (>= 1)."""
    public_size: int = 10
    """(3) Test examples on the public leaderboard, of about 114; the rest are private
    (in [1, 100])."""
    games: int = 200
    """(3) Random public/private partitions, each with fresh random models (>= 1)."""
    chance_band: float = 0.1
    """(3) A private accuracy below 0.5 + chance_band counts as chance level, in (0, 0.5):
    a useless model, a tenth above a coin."""
    subset: int = 300
    """(4) Training examples of digits used (>= 10)."""
    label_noise: float = 0.2
    """(4) Share of those training labels replaced by a random class, in [0, 1): a first
    trial on clean digits showed almost no overfitting to fight, so noise was added once and
    kept since (a SYNTHETIC corruption of the training labels only)."""
    width: int = 512
    """(3, 4) Units per hidden layer of the MLPs (>= 1)."""
    epochs: int = 80
    """(3, 4) Most epochs of Adam for the MLPs (>= 1)."""
    lr: float = 1e-3
    """(3, 4) Adam's learning rate (> 0)."""
    batch_size: int = 32
    """(1, 3, 4) Mini-batch size (>= 1)."""
    l2: float = 6e-3
    """(4) L2 penalty (λ/2)Σw² on the weights (> 0). The stated choice is the penalty 3e-3·Σw²,
    written 6e-3 since the Trainer's L2 took the (λ/2) convention of weight_decay."""
    dropout: float = 0.5
    """(4) Dropout probability after each hidden layer, in (0, 1): the lecture's p = 0.5."""
    patience: int = 10
    """(3, 4) Early-stopping patience in epochs (>= 1)."""
    repeats: int = 5
    """(1, 2, 4) Independent repeats: data split, folds, label noise, initialisations (>= 1);
    in (3) the games are the repeats."""

    def validate(self) -> None:
        for name in ("shallow_depth", "depth_width", "depth_epochs", "random_models",
                     "public_size", "games", "width", "epochs", "batch_size", "patience",
                     "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.deep_depth > self.shallow_depth, "deep_depth", "> shallow_depth",
                self.deep_depth)
        for name in ("depth_lr", "lr", "l2"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(self.public_size <= 100, "public_size", "in [1, 100]", self.public_size)
        require(self.folds >= 2, "folds", ">= 2", self.folds)
        require(self.max_degree >= 2, "max_degree", ">= 2", self.max_degree)
        require(0 < self.chance_band < 0.5, "chance_band", "in (0, 0.5)", self.chance_band)
        require(self.subset >= 10, "subset", ">= 10", self.subset)
        require(0 <= self.label_noise < 1, "label_noise", "in [0, 1)", self.label_noise)
        require(0 < self.dropout < 1, "dropout", "in (0, 1)", self.dropout)

    @classmethod
    def quick(cls) -> StrategySettings:
        return cls(depth_epochs=8, games=40, width=256, epochs=20, repeats=2)


def judge_strategy(m: dict, s: StrategySettings) -> Evidence:
    d, cv, lb, reg = m["depth"], m["cross_validation"], m["leaderboard"], m["regularization"]

    private = lb["private_accuracy"]
    direction = "the claim is a direction"
    checks = [
        Check(f"(1) the {s.deep_depth}-layer plain network ends with a higher training loss than "
              f"the {s.shallow_depth}-layer one", "training cross-entropy, deep minus shallow",
              paired(d["deep_train_loss"], d["shallow_train_loss"]), margin=0.0,
              reason=direction),
        Check("(2) the degree cross-validation picks beats the lowest-training-loss degree on "
              "test data", "test MSE, lowest-training-loss degree minus the CV choice",
              [r["test_mse_lowest_train"] - r["test_mse_cv_choice"] for r in cv], margin=0.0,
              reason=direction),
        Check("(3) the pick of a small public split is useless on the private split",
              "private accuracy of the public pick, per game", private["public"], margin=0.0,
              threshold=0.5 + s.chance_band, below=True,
              reason=f"chance level up to 0.5 + {s.chance_band:g} (chance_band)"),
        Check("(3) picking by the validation split does better than by the public split",
              "private accuracy, validation pick minus public pick, per game",
              paired(private["validation"], private["public"]), margin=0.0, reason=direction),
    ]
    checks += [Check(f"(4) {r} narrows the train/test gap", f"test minus training loss, "
                     f"unregularized minus {r}", paired(reg["gap"]["none"], reg["gap"][r]),
                     margin=0.0, reason=direction) for r in REGULARIZERS[1:]]
    perfect = 1 - (1 - 2.0 ** -s.public_size) ** s.random_models
    return Evidence(checks=checks, demonstrations=[
        Demonstration("(2) with nested features the training MSE cannot rise with the degree, "
                      "so the lowest training loss is the largest degree",
                      "lowest-training-loss degree per repeat: "
                      + ", ".join(str(r["lowest_train_degree"]) for r in cv)),
        Demonstration(f"(3) with {s.random_models} random guessers some score {s.public_size}/"
                      f"{s.public_size} on the public split with probability "
                      f"1 - (1 - 2^-{s.public_size})^{s.random_models} = {perfect:.4f}",
                      f"the public pick was a random guesser in "
                      f"{lb['public']['random_fraction']:.0%} of {s.games} games")])


@experiment(name="training-strategy", lecture=LECTURE, judge=judge_strategy,
            claim="(1) A deeper plain network can end with a higher training loss than a "
                  "shallower one: an optimization issue, not overfitting; (2) N-fold "
                  "cross-validation picks a complexity that beats the lowest-training-loss one "
                  "on test data; (3) choosing among many models by a small public test split "
                  "picks a useless one (chance on the private split), choosing by validation "
                  "does not; (4) L2, dropout and early stopping each narrow the train/test gap "
                  "of an overfitting network.")
def training_strategy(s: StrategySettings, ctx: RunContext) -> Result:
    ctx.plan(trials=2 * s.repeats + 1 + len(REGULARIZERS) * s.repeats)  # depth, MLP, variants
    depth = [_depth(s, ctx, r) for r in range(s.repeats)]
    cv = [_cross_validation(s, ctx, r) for r in range(s.repeats)]
    leaderboard = leaderboard_games(s, ctx)
    regularization = [_regularization(s, ctx, r) for r in range(s.repeats)]
    metrics = {
        "depth": {k: [d[k] for d in depth] for k in depth[0] if k != "plot"},
        "cross_validation": cv,
        "leaderboard": {k: v for k, v in leaderboard.items() if k != "plot"},
        "regularization": {key: {v: [r[key][v] for r in regularization] for v in REGULARIZERS}
                           for key in ("train_loss", "test_loss", "gap", "epochs_used")},
    }
    plot_depth_and_cv(ctx, s, depth[0]["plot"], cv[0])
    plot_leaderboard(ctx, leaderboard["plot"], leaderboard["real_count"])
    means = {key: {v: statistics.fmean(x) for v, x in values.items()}
             for key, values in metrics["regularization"].items()}
    plot_regularization(ctx, regularization[0]["plot"], means)
    return Result(metrics=metrics, tables=_tables(s, metrics))


def _eval_loss(model: torch.nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return cross_entropy(model(x), y).item()


def _depth(s: StrategySettings, ctx: RunContext, r: int) -> dict:
    split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"))
    train, valid = (split.x_train, split.y_train), (split.x_valid, split.y_valid)
    out, curves = {}, {}
    for name, depth in (("shallow", s.shallow_depth), ("deep", s.deep_depth)):
        with ctx.trial(f"depth-{name}-r{r}") as t:
            model = MLP(MLPConfig(64, 10, depth=depth, width=s.depth_width,
                                  activation="sigmoid"))
            sgd = torch.optim.SGD(model.parameters(), lr=s.depth_lr, momentum=0.9)
            fit = t.fit(model, sgd, cross_entropy, train, valid,
                        TrainConfig(epochs=s.depth_epochs, batch_size=s.batch_size),
                        fingerprint=s.to_dict())
        out[f"{name}_train_loss"] = _eval_loss(model, *train)
        out[f"{name}_valid_loss"] = _eval_loss(model, *valid)
        curves[name] = [h["train_loss"] for h in fit.history]
    return {**out, "plot": curves}


def _cross_validation(s: StrategySettings, ctx: RunContext, r: int) -> dict:
    split = load_dataset("diabetes", seed=ctx.seed_for(f"split/r{r}"), dtype=torch.float64)
    x = torch.cat([split.x_train, split.x_valid])  # the folds split train + valid
    y = torch.cat([split.y_train, split.y_valid])
    folds = kfold_indices(len(x), s.folds, ctx.generator(f"folds/r{r}"))
    train_mse, cv_mse, test_mse = [], [], []
    for degree in range(1, s.max_degree + 1):
        a, a_test = power_features(x, degree), power_features(split.x_test, degree)
        theta, _ = least_squares(a, y)
        train_mse.append(linear_mse(theta, a, y))
        cv_mse.append(cross_validation_mse(a, y, folds))
        test_mse.append(linear_mse(theta, a_test, split.y_test))
        ctx.log(trial=f"cross-validation-r{r}", degree=degree, train_mse=train_mse[-1],
                cv_mse=cv_mse[-1], test_mse=test_mse[-1])
    chosen = min(range(len(cv_mse)), key=cv_mse.__getitem__)
    lowest = min(range(len(train_mse)), key=train_mse.__getitem__)
    return {"train_mse": train_mse, "cv_mse": cv_mse, "test_mse": test_mse,
            "cv_degree": chosen + 1, "lowest_train_degree": lowest + 1,
            "test_mse_cv_choice": test_mse[chosen], "test_mse_lowest_train": test_mse[lowest]}


def _noisy_subset(s: StrategySettings, ctx: RunContext, split, r: int) -> tuple[Tensor, Tensor]:
    g = ctx.generator(f"label-noise/r{r}")
    x, y = split.x_train[:s.subset], split.y_train[:s.subset].clone()
    flip = torch.rand(len(y), generator=g) < s.label_noise
    y[flip] = torch.randint(0, split.num_classes, (int(flip.sum()),), generator=g)
    return x, y


def _regularization(s: StrategySettings, ctx: RunContext, r: int) -> dict:
    split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"))
    train = _noisy_subset(s, ctx, split, r)
    test = (split.x_test, split.y_test)
    variants = {"none": (0.0, 0.0, None), "l2": (s.l2, 0.0, None),
                "dropout": (0.0, s.dropout, None), "early-stopping": (0.0, 0.0, s.patience)}
    out = {"train_loss": {}, "test_loss": {}, "gap": {}, "epochs_used": {}, "plot": {}}
    for name, (l2, p, patience) in variants.items():
        with ctx.trial(f"{name}-r{r}") as t:
            model = MLP(MLPConfig(64, 10, depth=2, width=s.width, dropout=p))
            fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
                        train, (split.x_valid, split.y_valid),
                        TrainConfig(epochs=s.epochs, batch_size=s.batch_size, l2=l2,
                                    patience=patience), fingerprint=s.to_dict())
        out["train_loss"][name] = _eval_loss(model, *train)
        out["test_loss"][name] = _eval_loss(model, *test)
        out["gap"][name] = out["test_loss"][name] - out["train_loss"][name]
        out["epochs_used"][name] = fit.best_epoch or len(fit.history)
        out["plot"][name] = [h["valid_loss"] for h in fit.history]
    return out


def _tables(s: StrategySettings, m: dict) -> list[dict]:
    d, cv, lb, reg = m["depth"], m["cross_validation"], m["leaderboard"], m["regularization"]
    n = s.repeats
    return [
        table("(1) Plain sigmoid networks, same optimizer and epochs (digits), per repeat",
              ["repeat", f"{s.shallow_depth} layers: training loss", "validation loss",
               f"{s.deep_depth} layers: training loss", "validation loss"],
              [[r, d["shallow_train_loss"][r], d["shallow_valid_loss"][r],
                d["deep_train_loss"][r], d["deep_valid_loss"][r]] for r in range(n)]),
        table(f"(2) Polynomial degree by {s.folds}-fold cross-validation (diabetes), repeat 0",
              ["degree", "training MSE", "CV MSE", "test MSE"],
              [[i + 1, a, b, c] for i, (a, b, c) in enumerate(
                  zip(cv[0]["train_mse"], cv[0]["cv_mse"], cv[0]["test_mse"], strict=True))]),
        table(f"(3) Picking the best of {s.random_models} random-guess models + "
              f"{lb['real_count']} real ones ({s.games} games, breast cancer)",
              ["chosen by", "random-guess pick", "mean public accuracy",
               "mean private accuracy", "median private accuracy"],
              [[f"{r} split", lb[r]["random_fraction"], lb[r]["mean_public_accuracy"],
                lb[r]["mean_private_accuracy"], lb[r]["median_private_accuracy"]]
               for r in ("public", "validation")]
              + [[f"(real) {name}", "", "", a["test"], ""]
                 for name, a in lb["real_classifiers"].items()]),
        table(f"(4) Regularization of a wide MLP on {s.subset} digits with "
              f"{s.label_noise:.0%} noisy labels, per repeat",
              ["variant", "repeat", "training loss", "test loss", "gap", "epochs (best)"],
              [[v, r, reg["train_loss"][v][r], reg["test_loss"][v][r], reg["gap"][v][r],
                reg["epochs_used"][v][r]] for v in REGULARIZERS for r in range(n)]),
    ]
