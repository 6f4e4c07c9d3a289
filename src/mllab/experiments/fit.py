r"""``mllab fit``: a student's own table trained through the course's parts, into a run folder.

The course's first homework, as one command: read the CSV (:func:`mllab.data.load_csv`), split
off the validation rows as the homework's sample code does (``random_split`` with the seed,
:func:`mllab.data.train_valid_split`), optionally estimate the error by K-fold
cross-validation on all labelled rows (scaling and feature selection refitted inside every
fold, :func:`mllab.train.cross_validate`), train the chosen recipe
(:class:`mllab.train.TabularEstimator`: feature selection, standardization, MLP, Trainer) on
the training rows with early stopping on the validation rows, save it, and write predictions
for a test CSV. Every model trains in its own trial, so ``mllab resume`` continues a killed
fit exactly; with ``nproc > 1`` each trial trains in that many processes
(``torch.distributed``, :mod:`mllab.train.distributed`).

A fit is a job, not a lecture's claim: its report has no verdict. With ``diagnose`` it also
applies the training-strategy lecture's procedure (:mod:`mllab.experiments.diagnose`), whose
checks then appear in the report.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from mllab.config import ConfigError, require
from mllab.data import FeatureSelector, Table, load_csv, train_valid_split
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Evidence
from mllab.train import TASKS, EstimatorConfig, TabularEstimator, cross_validate, derive_seed

LECTURE = "Your own data"


@dataclass
class FitSettings(Settings):
    r"""What ``mllab fit`` trains on and how (the command's options)."""

    train: str = ""
    """The training CSV (a header row, one row per example); stored as an absolute path."""
    target: str = ""
    """The column to predict."""
    drop: str = ""
    """Comma-separated columns (names or patterns such as ``cli*``) that are not features."""
    columns: str = ""
    """Comma-separated features to keep (names or patterns); empty keeps every other column."""
    task: str = "regression"
    """``regression`` (MSE) or ``classification`` (cross-entropy, accuracy)."""
    select: int | None = None
    """Keep the ``select`` features of the largest F statistic on the training rows."""
    hidden: tuple[int, ...] = (16, 8)
    """Hidden-layer widths of the MLP; empty for the linear model. The default is the course's
    sample network for its first homework (in→16→8→1)."""
    activation: str = "relu"
    """Hidden activation: relu, sigmoid or tanh."""
    optimizer: str = "adam"
    """adam, sgd, momentum, adagrad or rmsprop (the course's, :mod:`mllab.optim`)."""
    lr: float = 1e-3
    """Learning rate (> 0)."""
    l2: float = 0.0
    """L2 penalty (λ/2)Σw² on the weights (>= 0), the same λ as an optimizer's weight_decay."""
    epochs: int = 300
    """Most epochs (>= 1)."""
    batch_size: int = 256
    """Rows per update (>= 1)."""
    patience: int | None = 30
    """Early stopping: epochs without a lower validation loss before stopping, keeping the
    best weights (>= 1); none trains every epoch."""
    valid_ratio: float = 0.2
    """Share of the rows held out for validation, in (0, 1): the homework's sample code."""
    cv: int | None = None
    """K-fold cross-validation on all labelled rows (K >= 2), before the final model."""
    predict: str = ""
    """A test CSV (the training features, no target) to predict; empty for none."""
    submission: str = ""
    """Where the predictions go (``id,<target>`` rows); default ``submission.csv`` in the run
    folder."""
    diagnose: bool = False
    """Also apply the training-strategy lecture's diagnosis to the fitted model."""
    repeats: int = 5
    """Diagnosis: independent repeats (a new validation split and initialisation each) of
    every model it compares (>= 2)."""
    margin: float = 0.05
    """Diagnosis: noise allowance on every log ratio of two losses (>= 0): a 5% difference
    in loss counts as none, so only a difference the advice would act on decides."""
    overfit_ratio: float = 1.25
    """Diagnosis: a validation loss more than this multiple of the training loss is
    overfitting (> 1): a gap of 25%, larger than what the noise of a fifth of the rows
    gives a model that learned the signal alone."""
    nproc: int = 1
    """Processes that train each model together (torch.distributed, >= 1)."""
    device: str = "cpu"
    """cpu, cuda or auto."""

    def validate(self) -> None:
        self.estimator_config()
        require(0 < self.valid_ratio < 1, "valid_ratio", "in (0, 1)", self.valid_ratio)
        require(self.cv is None or self.cv >= 2, "cv", "an integer >= 2 or none", self.cv)
        require(self.nproc >= 1, "nproc", "an integer >= 1", self.nproc)
        require(self.device in ("cpu", "cuda", "auto"), "device", "cpu, cuda or auto",
                self.device)
        require(self.repeats >= 2, "repeats", "an integer >= 2", self.repeats)
        require(self.margin >= 0, "margin", ">= 0", self.margin)
        require(self.overfit_ratio > 1, "overfit_ratio", "> 1", self.overfit_ratio)

    def estimator_config(self) -> EstimatorConfig:
        return EstimatorConfig(task=self.task, select=self.select, hidden=self.hidden,
                               activation=self.activation, optimizer=self.optimizer, lr=self.lr,
                               l2=self.l2, epochs=self.epochs, batch_size=self.batch_size,
                               patience=self.patience)


def names(text: str) -> tuple[str, ...]:
    r"""Comma-separated names or patterns."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def load_training_table(s: FitSettings) -> Table:
    return load_csv(s.train, target=s.target, drop=names(s.drop),
                    columns=names(s.columns) or None)


def train_model(ctx: RunContext, s: FitSettings, name: str, feature_names: tuple[str, ...],
                train: tuple[torch.Tensor, torch.Tensor],
                valid: tuple[torch.Tensor, torch.Tensor] | None) -> tuple[TabularEstimator, dict]:
    r"""Train the recipe on ``train`` (early stopping on ``valid``) in the trial ``name``; the
    estimator and its epochs' history."""
    from mllab.train.distributed import resolve_device

    est = TabularEstimator(s.estimator_config(), seed=derive_seed(ctx.seed, "init"),
                           feature_names=feature_names, device=resolve_device(s.device))
    with ctx.trial(name) as t:
        if s.nproc == 1:
            p = est.prepare(*train, valid)
            fit = t.fit(p.model, p.optimizer, p.loss_fn, p.train, p.valid, p.config)
        else:
            from mllab.experiments.fit_processes import train_in_processes

            fit = train_in_processes(ctx, s, t, est, train, valid)
    return est, {"history": fit.history, "best_epoch": fit.best_epoch,
                 "epochs": len(fit.history)}


def _judge_fit(m: dict, s: FitSettings) -> Evidence:
    r"""A fit has no claim to judge; with ``diagnose`` its evidence is the diagnosis's."""
    if "diagnosis" not in m:
        return Evidence(checks=[])
    from mllab.experiments.diagnose import diagnosis_evidence

    return diagnosis_evidence(m["diagnosis"], s)


@experiment(name="fit", lecture=LECTURE, judge=_judge_fit, job=True,
            claim="Train the course's recipe on your own table: validation error, "
                  "cross-validation, the chosen model's files and predictions.")
def fit_table(s: FitSettings, ctx: RunContext) -> Result:
    data = load_training_table(s)
    test = load_csv(s.predict, columns=data.feature_names) if s.predict else None
    x, y = data.x, data.y
    if len(y) < 2:
        raise ConfigError(f"{s.train} has 1 data row; fit needs at least 2 (rows to train on "
                          f"and rows to validate on)")
    require(s.cv is None or s.cv <= len(y), "cv", f"an integer in [2, {len(y)}] (one fold per "
            f"row at most, the table's rows) or none", s.cv)
    train_rows, valid_rows = train_valid_split(len(y), s.valid_ratio, ctx.seed)
    ctx.plan(trials=(s.cv or 0) + 1)  # the diagnosis plans its own
    tables, metrics, cv_curves = [_scores_table(s, data, train_rows)], {}, []
    if s.cv is not None:
        def recipe(x_fold, y_fold, fold):  # each fold's own inner split, for early stopping
            inner, inner_valid = train_valid_split(len(y_fold), s.valid_ratio,
                                                   derive_seed(ctx.seed, f"fold-{fold}"))
            est, info = train_model(ctx, s, f"fold-{fold + 1}", data.feature_names,
                                    (x_fold[inner], y_fold[inner]),
                                    (x_fold[inner_valid], y_fold[inner_valid]))
            cv_curves.append(info["history"])
            return est

        cv = cross_validate(recipe, x, y, k=s.cv, generator=ctx.generator("cv-folds"))
        metrics["cv"] = {"folds": list(cv.values), "mean": cv.mean, "std": cv.std}
        tables.append(table(f"{s.cv}-fold cross-validation ({_loss_name(s)} on each held-out "
                            f"fold; scaling and selection refitted on the other folds)",
                            ["fold", "rows held out", _loss_name(s)],
                            [[i + 1, n, v] for i, (n, v) in
                             enumerate(zip(cv.sizes, cv.values, strict=True))]))
    est, info = train_model(ctx, s, "final", data.feature_names, (x[train_rows], y[train_rows]),
                            (x[valid_rows], y[valid_rows]))
    est.save(ctx.out / "model")
    metrics.update(final=_final_metrics(s, est, data, train_rows, valid_rows),
                   best_epoch=info["best_epoch"], epochs=info["epochs"], rows=len(y),
                   features=len(data.feature_names))
    if test is not None:
        metrics["submission"] = str(_write_submission(s, ctx, est, data, test))
    if s.diagnose:
        from mllab.experiments.diagnose import diagnosis, diagnosis_table

        metrics["diagnosis"] = diagnosis(ctx, s, data)
        tables.append(diagnosis_table(metrics["diagnosis"]))
    metrics["summary"] = _summary(s, ctx, metrics)
    _plot_fit(ctx, s, info["history"], cv_curves, tables[0])
    return Result(metrics=metrics, tables=tables)


def _loss_name(s: FitSettings) -> str:
    return "MSE" if s.task == "regression" else "cross-entropy"


def _final_metrics(s, est, data, train_rows, valid_rows) -> dict:
    x, y = data.x, data.y
    final = {"train_loss": est.loss(x[train_rows], y[train_rows]),
             "valid_loss": est.loss(x[valid_rows], y[valid_rows])}
    if s.task == "classification":
        for split, rows in (("train", train_rows), ("valid", valid_rows)):
            final[f"{split}_accuracy"] = (est.predict(x[rows]) == y[rows]).float().mean().item()
    return final


def _scores_table(s: FitSettings, data: Table, train_rows: torch.Tensor) -> dict:
    r"""Every feature's F statistic on the training rows, best first."""
    y = data.y[train_rows]
    labels = y if s.task == "regression" else torch.unique(y, return_inverse=True)[1]
    selector = FeatureSelector(len(data.feature_names), s.task).fit(data.x[train_rows], labels)
    order = torch.argsort(torch.nan_to_num(selector.scores, nan=-1.0), descending=True)
    chosen = set(order[:s.select].tolist()) if s.select else set(range(len(order)))
    return table("Feature scores: F statistic on the training rows (f_regression / f_classif)",
                 ["rank", "feature", "F", "used"],
                 [[r + 1, data.feature_names[j], selector.scores[j].item(), j in chosen]
                  for r, j in enumerate(order.tolist())])


def submission_path(s: FitSettings, run_dir: Path) -> Path:
    return Path(s.submission) if s.submission else run_dir / "submission.csv"


def _write_submission(s, ctx, est, data: Table, test: Table) -> Path:
    r"""``id,<target>`` rows, as the homework's submission file (a pandas-style suffix ``.N``
    of a repeated column name is dropped: ``tested_positive.2`` is written ``tested_positive``)."""
    name = data.target_name
    base = re.sub(r"\.[0-9]+$", "", name)
    if base != name and base in data.feature_names:
        name = base
    path = submission_path(s, ctx.out)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", name])
        out.writerows([i, f"{v:.6g}"] for i, v in zip(test.ids, est.predict(test.x).tolist(),
                                                       strict=True))
    os.replace(tmp, path)
    return path


def _summary(s: FitSettings, ctx: RunContext, m: dict) -> str:
    loss = _loss_name(s)
    used = f"{s.select} of {m['features']}" if s.select else f"{m['features']}"
    text = (f"{s.task} of {s.target} from {used} features, {m['rows']} rows of "
            f"{Path(s.train).name}: validation {loss} {m['final']['valid_loss']:.4g} "
            f"(training {m['final']['train_loss']:.4g}, {m['epochs']} epochs)")
    if "valid_accuracy" in m["final"]:
        text += f", validation accuracy {m['final']['valid_accuracy']:.4g}"
    if "cv" in m:
        text += f"; {s.cv}-fold CV {loss} {m['cv']['mean']:.4g} ± {m['cv']['std']:.2g}"
    text += f"; model in {ctx.out / 'model'}"
    if "submission" in m:
        text += f"; predictions in {m['submission']}"
    if "diagnosis" in m:
        text += f"; diagnosis: {m['diagnosis']['case']}"
    return text


_SHOWN_FEATURES = 30


def _plot_fit(ctx: RunContext, s: FitSettings, history: list[dict], cv_curves: list[list[dict]],
             scores: dict) -> None:
    r"""Learning curves of the final model (and of each cross-validation fold), and the F
    statistic of the best features."""
    from mllab.report import new_figure

    loss = "MSE" if s.task == "regression" else "cross-entropy"
    fig, axes = new_figure(ncols=2, size=(11, 4))
    epochs = [h["epoch"] for h in history]
    axes[0].plot(epochs, [h["train_loss"] for h in history], label="training")
    axes[0].plot(epochs, [h["valid_loss"] for h in history], label="validation")
    for i, curve in enumerate(cv_curves):
        axes[0].plot([h["epoch"] for h in curve], [h["valid_loss"] for h in curve], color="0.6",
                     lw=0.8, label="CV folds (inner validation)" if i == 0 else None)
    axes[0].set(xlabel="epoch", ylabel=loss, yscale="log", title="Learning curves")
    axes[0].legend()
    rows = scores["rows"][:_SHOWN_FEATURES]
    colours = ["tab:blue" if used else "0.7" for *_, used in rows]
    axes[1].barh([r[1] for r in rows][::-1], [r[2] for r in rows][::-1], color=colours[::-1])
    positive = any(r[2] > 0 for r in rows)  # a constant target scores every feature NaN
    axes[1].set(xlabel="F statistic (training rows)", xscale="log" if positive else "linear",
                title=f"Best {len(rows)} features (blue: used)")
    axes[1].tick_params(axis="y", labelsize=7)
    ctx.save_figure(fig, "fit", f"Left: training and validation {loss} per epoch of the final "
                    f"model (grey: each cross-validation fold's inner validation loss). Right: "
                    f"the F statistic of the {len(rows)} best features on the training rows")


__all__ = ["TASKS", "FitSettings", "fit_table", "load_training_table", "train_model"]
