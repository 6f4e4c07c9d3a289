r"""``training-strategy``: what to do when the results disappoint.

The lecture's flow chart starts from the training loss. Large on the training data: model
bias, or an optimization issue (a deeper network that is worse *on training data* than a
shallower one cannot be overfitting). Small on training but large on new data: overfitting,
fought with more data, constraints, L2, dropout, early stopping. Model complexity is chosen by
N-fold cross-validation, never by the public test score: many useless models tried on a small
public leaderboard make one of them look great. ``training-strategy`` measures four pieces:

1. a plain sigmoid network of ``deep_depth`` layers vs one of ``shallow_depth`` layers on
   scikit-learn's digits, same optimizer and epochs: the training losses;
2. N-fold cross-validation (:func:`mllab.train.kfold_indices`) choosing the degree of a per-feature
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
split, which no variant sees, since early stopping reads the validation split. Dropout is
``p = 0.7``: in trial runs with ``p = 0.5`` the gap did not narrow consistently.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.analysis import least_squares, linear_mse
from mllab.classify import GaussianGenerativeClassifier, LogisticRegression
from mllab.config import require
from mllab.data import load_dataset, power_features
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.training_strategy import LECTURE, REGULARIZERS
from mllab.experiments.training_strategy.plots import (
    plot_depth_and_cv,
    plot_leaderboard,
    plot_regularization,
)
from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig, cross_validation_mse, kfold_indices


def leaderboard_pick(scores: Tensor, submitted: Tensor) -> int:
    r"""Index of the best score; ties go to the earliest submission (smallest ``submitted``)."""
    best = scores == scores.max()
    return int(torch.where(best, submitted, submitted.max() + 1).argmin())


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
    """(3) A median private accuracy within this of 0.5 counts as chance level, in (0, 0.5)."""
    subset: int = 300
    """(4) Training examples of digits used (>= 10)."""
    label_noise: float = 0.2
    """(4) Share of those training labels replaced by a random class, in [0, 1)."""
    width: int = 512
    """(3, 4) Units per hidden layer of the MLPs (>= 1)."""
    epochs: int = 80
    """(3, 4) Most epochs of Adam for the MLPs (>= 1)."""
    lr: float = 1e-3
    """(3, 4) Adam's learning rate (> 0)."""
    batch_size: int = 32
    """(1, 3, 4) Mini-batch size (>= 1)."""
    l2: float = 3e-3
    """(4) L2 penalty λ on the weights (> 0)."""
    dropout: float = 0.7
    """(4) Dropout probability after each hidden layer, in (0, 1)."""
    patience: int = 10
    """(3, 4) Early-stopping patience in epochs (>= 1)."""
    repeats: int = 3
    """(4) Random initialisations of each variant; losses are averaged (>= 1)."""

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
        return cls(depth_epochs=15, games=40, width=256, epochs=50, repeats=1)


def judge_strategy(m: dict, s: StrategySettings) -> tuple[str, str]:
    d, cv, lb, reg = m["depth"], m["cross_validation"], m["leaderboard"], m["regularization"]
    deep_worse = d["deep_train_loss"] > d["shallow_train_loss"]
    cv_better = cv["test_mse_cv_choice"] < cv["test_mse_lowest_train"]
    pub, val = lb["public"], lb["validation"]
    fooled = pub["random_fraction"] > 0.5 and \
        abs(pub["median_private_accuracy"] - 0.5) <= s.chance_band
    safe = val["random_fraction"] < 0.5 and \
        val["median_private_accuracy"] - 0.5 > s.chance_band
    gap = reg["gap"]
    narrows = {r: gap[r] < gap["none"] for r in REGULARIZERS[1:]}
    held = [deep_worse, cv_better, fooled and safe, all(narrows.values())]
    ok = ["held" if h else "did NOT hold" for h in held]
    criterion = (
        f"(1) {ok[0]}: training loss of the {s.deep_depth}-layer sigmoid network "
        f"{d['deep_train_loss']:.4f} {'>' if deep_worse else '<='} the {s.shallow_depth}-layer "
        f"one's {d['shallow_train_loss']:.4f} (validation {d['deep_valid_loss']:.4f} vs "
        f"{d['shallow_valid_loss']:.4f}); "
        f"(2) {ok[1]}: {s.folds}-fold CV chose degree {cv['cv_degree']} with test MSE "
        f"{cv['test_mse_cv_choice']:.1f} {'<' if cv_better else '>='} "
        f"{cv['test_mse_lowest_train']:.1f} of degree {cv['lowest_train_degree']}, the lowest "
        f"training MSE; "
        f"(3) {ok[2]}: over {s.games} games the best on {s.public_size} public examples was a "
        f"random-guess model in {pub['random_fraction']:.0%} of them, with mean public accuracy "
        f"{pub['mean_public_accuracy']:.3f} and median private accuracy "
        f"{pub['median_private_accuracy']:.3f} ({'' if fooled else 'NOT '}chance level, "
        f"0.5 ± {s.chance_band:g}); the best on validation was random in "
        f"{val['random_fraction']:.0%}, median private accuracy "
        f"{val['median_private_accuracy']:.3f} ({'above' if safe else 'NOT above'} chance); "
        f"(4) {ok[3]}: test-minus-training loss gap (mean of {s.repeats}) unregularized "
        f"{gap['none']:.3f}; " + ", ".join(
            f"{r} {gap[r]:.3f} ({'narrower' if narrows[r] else 'NOT narrower'})"
            for r in REGULARIZERS[1:]))
    return ("reproduced" if all(held) else "not reproduced"), criterion


@experiment(name="training-strategy", lecture=LECTURE, judge=judge_strategy,
            claim="(1) A deeper plain network can end with a higher training loss than a "
                  "shallower one: an optimization issue, not overfitting; (2) N-fold "
                  "cross-validation picks a complexity that beats the lowest-training-loss one "
                  "on test data; (3) choosing among many models by a small public test split "
                  "picks a useless one (chance on the private split), choosing by validation "
                  "does not; (4) L2, dropout and early stopping each narrow the train/test gap "
                  "of an overfitting network.")
def training_strategy(s: StrategySettings, ctx: RunContext) -> Result:
    metrics = {"depth": _depth(s, ctx), "cross_validation": _cross_validation(s, ctx),
               "leaderboard": _leaderboard(s, ctx), "regularization": _regularization(s, ctx)}
    plots = {k: metrics[k].pop("plot") for k in ("depth", "leaderboard", "regularization")}
    plot_depth_and_cv(ctx, s, plots["depth"], metrics["cross_validation"])
    plot_leaderboard(ctx, plots["leaderboard"], metrics["leaderboard"]["real_count"])
    plot_regularization(ctx, plots["regularization"], metrics["regularization"])
    return Result(metrics=metrics, tables=_tables(s, metrics))


def _eval_loss(model: torch.nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return cross_entropy(model(x), y).item()


def _depth(s: StrategySettings, ctx: RunContext) -> dict:
    split = load_dataset("digits", seed=ctx.seed)
    train, valid = (split.x_train, split.y_train), (split.x_valid, split.y_valid)
    out, curves = {}, {}
    for name, depth in (("shallow", s.shallow_depth), ("deep", s.deep_depth)):
        with ctx.trial(f"depth-{name}") as t:
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


def _cross_validation(s: StrategySettings, ctx: RunContext) -> dict:
    split = load_dataset("diabetes", seed=ctx.seed, dtype=torch.float64)
    x = torch.cat([split.x_train, split.x_valid])  # the folds split train + valid
    y = torch.cat([split.y_train, split.y_valid])
    folds = kfold_indices(len(x), s.folds, ctx.generator("folds"))
    train_mse, cv_mse, test_mse = [], [], []
    for degree in range(1, s.max_degree + 1):
        a, a_test = power_features(x, degree), power_features(split.x_test, degree)
        theta, _ = least_squares(a, y)
        train_mse.append(linear_mse(theta, a, y))
        cv_mse.append(cross_validation_mse(a, y, folds))
        test_mse.append(linear_mse(theta, a_test, split.y_test))
        ctx.log(trial="cross-validation", degree=degree, train_mse=train_mse[-1],
                cv_mse=cv_mse[-1], test_mse=test_mse[-1])
    chosen = min(range(len(cv_mse)), key=cv_mse.__getitem__)
    lowest = min(range(len(train_mse)), key=train_mse.__getitem__)
    return {"train_mse": train_mse, "cv_mse": cv_mse, "test_mse": test_mse,
            "cv_degree": chosen + 1, "lowest_train_degree": lowest + 1,
            "test_mse_cv_choice": test_mse[chosen], "test_mse_lowest_train": test_mse[lowest]}


def _real_classifiers(s: StrategySettings, ctx: RunContext, split) -> dict[str, Tensor]:
    r"""Predictions on validation + test of the real classifiers, trained on train."""
    x, y = split.x_train.double(), split.y_train
    x_eval = torch.cat([split.x_valid, split.x_test])
    preds = {
        "logistic regression": LogisticRegression(lr=0.1, epochs=1000).fit(x, y),
        "Gaussian naive Bayes": GaussianGenerativeClassifier("diagonal", reg=1e-2).fit(x, y),
    }
    preds = {name: clf.predict(x_eval.double()) for name, clf in preds.items()}
    with ctx.trial("leaderboard-mlp") as t:
        model = MLP(MLPConfig(split.num_features, 2, depth=1, width=s.width))
        t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
              (split.x_train, y), (split.x_valid, split.y_valid),
              TrainConfig(epochs=s.epochs, batch_size=s.batch_size, patience=s.patience),
              fingerprint=s.to_dict())
    model.eval()
    with torch.no_grad():
        preds["MLP"] = model(x_eval).argmax(1)
    return preds


def _leaderboard(s: StrategySettings, ctx: RunContext) -> dict:
    split = load_dataset("breast_cancer", seed=ctx.seed)
    real = _real_classifiers(s, ctx, split)
    n_valid, n_test = len(split.y_valid), len(split.y_test)
    truth = torch.cat([split.y_valid, split.y_test])  # (V+T,)
    real_correct = torch.stack([p == truth for p in real.values()])  # (Q, V+T)
    g = ctx.generator("leaderboard")
    picks = {"public": [], "validation": []}
    for game in range(s.games):
        guesses = torch.rand(s.random_models, n_valid + n_test, generator=g) < 0.5  # (R, V+T)
        correct = torch.cat([real_correct, guesses == truth]).double()  # (Q+R, V+T)
        order = torch.randperm(n_test, generator=g) + n_valid
        public, private = order[:s.public_size], order[s.public_size:]
        submitted = torch.randperm(len(correct), generator=g)
        accuracy = {"public": correct[:, public].mean(1), "private": correct[:, private].mean(1),
                    "validation": correct[:, :n_valid].mean(1)}
        for rule in picks:
            i = leaderboard_pick(accuracy[rule], submitted)
            picks[rule].append({"model": i, "random": i >= len(real),
                                **{k: v[i].item() for k, v in accuracy.items()}})
            ctx.log(trial="leaderboard", game=game, rule=rule, **picks[rule][-1])
        if game == 0:
            first = {k: v.tolist() for k, v in accuracy.items() if k != "validation"}
    real_acc = {name: {"validation": c[:n_valid].double().mean().item(),
                       "test": c[n_valid:].double().mean().item()}
                for name, c in zip(real, real_correct, strict=True)}
    summary = {rule: {
        "random_fraction": sum(p["random"] for p in ps) / len(ps),
        "mean_public_accuracy": statistics.fmean(p["public"] for p in ps),
        "mean_private_accuracy": statistics.fmean(p["private"] for p in ps),
        "median_private_accuracy": statistics.median(p["private"] for p in ps)}
        for rule, ps in picks.items()}
    plot = {"first_game": {**first, "public_pick": picks["public"][0]["model"],
                           "validation_pick": picks["validation"][0]["model"]},
            **{rule: [p["private"] for p in ps] for rule, ps in picks.items()}}
    return {**summary, "real_classifiers": real_acc, "real_count": len(real), "plot": plot}


def _noisy_subset(s: StrategySettings, ctx: RunContext, split) -> tuple[Tensor, Tensor]:
    g = ctx.generator("label-noise")
    x, y = split.x_train[:s.subset], split.y_train[:s.subset].clone()
    flip = torch.rand(len(y), generator=g) < s.label_noise
    y[flip] = torch.randint(0, split.num_classes, (int(flip.sum()),), generator=g)
    return x, y


def _regularization(s: StrategySettings, ctx: RunContext) -> dict:
    split = load_dataset("digits", seed=ctx.seed)
    train = _noisy_subset(s, ctx, split)
    valid, test = (split.x_valid, split.y_valid), (split.x_test, split.y_test)
    variants = {"none": (0.0, 0.0, None), "l2": (s.l2, 0.0, None),
                "dropout": (0.0, s.dropout, None), "early-stopping": (0.0, 0.0, s.patience)}
    losses = {r: {"train": [], "test": [], "epochs": []} for r in variants}
    curves = {}
    for name, (l2, p, patience) in variants.items():
        for r in range(s.repeats):
            with ctx.trial(f"{name}-{r}") as t:
                model = MLP(MLPConfig(64, 10, depth=2, width=s.width, dropout=p))
                fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
                            train, valid, TrainConfig(epochs=s.epochs, batch_size=s.batch_size,
                                                      l2=l2, patience=patience),
                            fingerprint=s.to_dict())
            losses[name]["train"].append(_eval_loss(model, *train))
            losses[name]["test"].append(_eval_loss(model, *test))
            losses[name]["epochs"].append(fit.best_epoch or len(fit.history))
            if r == 0:
                curves[name] = [h["valid_loss"] for h in fit.history]
    mean = {r: {k: statistics.fmean(v) for k, v in d.items()} for r, d in losses.items()}
    return {"train_loss": {r: v["train"] for r, v in mean.items()},
            "test_loss": {r: v["test"] for r, v in mean.items()},
            "gap": {r: v["test"] - v["train"] for r, v in mean.items()},
            "epochs_used": {r: v["epochs"] for r, v in mean.items()}, "plot": curves}


def _tables(s: StrategySettings, m: dict) -> list[dict]:
    d, cv, lb, reg = m["depth"], m["cross_validation"], m["leaderboard"], m["regularization"]
    return [
        table("(1) Plain sigmoid networks, same optimizer and epochs (digits)",
              ["network", "training loss", "validation loss"],
              [[f"{s.shallow_depth} layers", d["shallow_train_loss"], d["shallow_valid_loss"]],
               [f"{s.deep_depth} layers", d["deep_train_loss"], d["deep_valid_loss"]]]),
        table(f"(2) Polynomial degree by {s.folds}-fold cross-validation (diabetes)",
              ["degree", "training MSE", "CV MSE", "test MSE"],
              [[i + 1, a, b, c] for i, (a, b, c) in enumerate(
                  zip(cv["train_mse"], cv["cv_mse"], cv["test_mse"], strict=True))]),
        table(f"(3) Picking the best of {s.random_models} random-guess models + "
              f"{lb['real_count']} real ones ({s.games} games, breast cancer)",
              ["chosen by", "random-guess pick", "mean public accuracy",
               "mean private accuracy", "median private accuracy"],
              [[f"{r} split", lb[r]["random_fraction"], lb[r]["mean_public_accuracy"],
                lb[r]["mean_private_accuracy"], lb[r]["median_private_accuracy"]]
               for r in ("public", "validation")]
              + [[f"(real) {n}", "", "", a["test"], ""]
                 for n, a in lb["real_classifiers"].items()]),
        table(f"(4) Regularization of a wide MLP on {s.subset} digits with "
              f"{s.label_noise:.0%} noisy labels (mean of {s.repeats})",
              ["variant", "training loss", "test loss", "gap", "epochs (best)"],
              [[r, reg["train_loss"][r], reg["test_loss"][r], reg["gap"][r],
                reg["epochs_used"][r]] for r in REGULARIZERS]),
    ]
