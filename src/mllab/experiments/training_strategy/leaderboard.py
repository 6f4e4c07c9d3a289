r"""The public/private leaderboard of the training-strategy lecture: many models submitted to a
small public test split, one of them picked by its public score (or by the validation split),
and scored on the private rest, over many random partitions (games)."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from mllab.classify import GaussianGenerativeClassifier, LogisticRegression
from mllab.data import load_dataset
from mllab.experiments.context import RunContext
from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig

if TYPE_CHECKING:
    from mllab.experiments.training_strategy.training_strategy import StrategySettings


def leaderboard_pick(scores: Tensor, submitted: Tensor) -> int:
    r"""Index of the best score; ties go to the earliest submission (smallest ``submitted``)."""
    best = scores == scores.max()
    return int(torch.where(best, submitted, submitted.max() + 1).argmin())


def real_classifiers(s: StrategySettings, ctx: RunContext, split) -> dict[str, Tensor]:
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


def leaderboard_games(s: StrategySettings, ctx: RunContext) -> dict:
    split = load_dataset("breast_cancer", seed=ctx.seed_for("split/leaderboard"))
    real = real_classifiers(s, ctx, split)
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
    return {**summary, "private_accuracy": {rule: [p["private"] for p in ps]
                                            for rule, ps in picks.items()},
            "real_classifiers": real_acc, "real_count": len(real), "plot": plot}
