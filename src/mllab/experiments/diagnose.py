r"""``mllab diagnose``: the training-strategy lecture's procedure for a disappointing model.

The lecture's procedure, applied to the recipe of a fit (``mllab fit``) on its own data:

1. **Is the training loss large because of optimization?** Compare with simpler or shallower
   models: if one of them reaches a *lower training loss*, the function set of the deeper model
   contains a function at least as good (it can imitate the simpler one), so the optimizer
   failed to find it: an optimization problem.
2. **Or because of model bias?** If a *more flexible* model (one more layer, twice the width)
   reaches a lower training loss *and* a lower validation loss, the function set is too small:
   make the model more flexible.
3. **Training loss small, validation loss large?** If the validation loss exceeds the training
   loss by more than a stated ratio, it is overfitting (or a mismatch between the training and
   the validation data, which no comparison of models can tell apart).

Each comparison is a check of the evidence model over independent repeats (a new validation
split and a new initialisation each), on the log ratio of two losses, with the margin and the
overfitting ratio fixed in the settings (:class:`mllab.experiments.fit.FitSettings`). The case is
the first step whose checks *held*, in the lecture's order; a check within noise does not make
a case. Every compared model is trained by the fit's own recipe (optimizer, learning rate,
epochs, early stopping, L2): only the function set changes.

Differences from the lecture: it reads the two losses by eye; here "lower" and "larger" are
intervals over repeats against margins stated before any run.
"""

from __future__ import annotations

import dataclasses
import math

from mllab.data import Table, train_valid_split
from mllab.experiments.base import Result, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence
from mllab.experiments.fit import LECTURE, FitSettings, load_training_table, train_model
from mllab.train import derive_seed

CASES = ("optimization", "model bias", "overfitting", "no problem found")
ADVICE = {
    "optimization": "a simpler model fits the training rows better, so this model is not "
                    "trained well: try another optimizer (adam) or learning rate, more epochs, "
                    "or normalization; do not make the model bigger",
    "model bias": "the function set is too small: make the model more flexible (more "
                  "features, fewer dropped columns or a larger --select; wider or deeper "
                  "layers with --model)",
    "overfitting": "the model fits the training rows much better than unseen ones: more "
                   "training data, data augmentation, constraints (fewer features with "
                   "--select, a smaller model), regularization (--l2), early stopping "
                   "(--patience); if the validation rows come from another distribution, "
                   "it is a mismatch instead",
    "no problem found": "the training loss is as low as a more flexible model gets, and the "
                        "validation loss is close to it: what remains is the noise of the "
                        "data, or a mismatch with the test data that this procedure cannot see",
}


def compared_models(hidden: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    r"""The function sets the procedure compares, by hidden widths: the run's own, the linear
    model and a shallower one (simpler), and one layer more at twice the width (flexible)."""
    models = {"run": hidden}
    if hidden:
        models["linear"] = ()
    if len(hidden) >= 2:
        models["shallower"] = hidden[:-1]
    models["flexible"] = (tuple(2 * w for w in hidden) + (2 * hidden[-1],)) if hidden else (32,)
    return models


def diagnosis(ctx: RunContext, s: FitSettings, data: Table) -> dict:
    r"""Train every compared model ``s.repeats`` times; the losses, the checks' case, advice."""
    models = compared_models(s.hidden)
    ctx.plan(trials=s.repeats * len(models))
    losses = {name: {"train": [], "valid": []} for name in models}
    for r in range(s.repeats):
        train_rows, valid_rows = train_valid_split(len(data.y), s.valid_ratio,
                                                   derive_seed(ctx.seed, f"diagnosis-{r}"))
        x, y = data.x, data.y
        for name, hidden in models.items():
            est, _ = train_model(ctx, dataclasses.replace(s, hidden=hidden),
                                 f"diagnosis-{r + 1}-{name}", data.feature_names,
                                 (x[train_rows], y[train_rows]), (x[valid_rows], y[valid_rows]))
            losses[name]["train"].append(est.loss(x[train_rows], y[train_rows]))
            losses[name]["valid"].append(est.loss(x[valid_rows], y[valid_rows]))
    measured = {"models": {n: list(h) for n, h in models.items()}, "losses": losses}
    evidence = diagnosis_evidence(measured, s)
    measured["case"] = case_of(evidence)
    measured["advice"] = ADVICE[measured["case"]]
    return measured


def _log_ratio(a: list[float], b: list[float]) -> list[float]:
    return [math.log(u / v) for u, v in zip(a, b, strict=True)]


def diagnosis_evidence(m: dict, s: FitSettings) -> Evidence:
    r"""The procedure's checks from the measured losses (in the lecture's order)."""
    L, reason = m["losses"], (f"a loss ratio within {s.margin:.0%} of 1 counts as no "
                              f"difference (setting margin)")
    simpler = [n for n in ("linear", "shallower") if n in L]
    checks = []
    if simpler:
        best_simpler = [min(v) for v in zip(*(L[n]["train"] for n in simpler), strict=True)]
        checks.append(Check(
            f"1. optimization: a simpler model ({' or '.join(simpler)}) reaches a lower "
            f"training loss than the run's model", "log(training loss of the run's model / "
            "the lowest of the simpler models')", _log_ratio(L["run"]["train"], best_simpler),
            margin=s.margin, reason=reason))
    for split in ("train", "valid"):
        checks.append(Check(
            f"2. model bias: a more flexible model reaches a lower "
            f"{'training' if split == 'train' else 'validation'} loss",
            f"log({split} loss of the run's model / of the flexible model)",
            _log_ratio(L["run"][split], L["flexible"][split]), margin=s.margin, reason=reason))
    checks.append(Check(
        f"3. overfitting: the validation loss exceeds the training loss by more than "
        f"{s.overfit_ratio:g}x", "log(validation loss / training loss) of the run's model",
        _log_ratio(L["run"]["valid"], L["run"]["train"]), margin=s.margin,
        threshold=math.log(s.overfit_ratio),
        reason=f"{reason}; the ratio {s.overfit_ratio:g} is the setting overfit_ratio"))
    return Evidence(checks=checks)


def case_of(evidence: Evidence) -> str:
    r"""The first step of the procedure whose checks all held."""
    held = {c.claim.split(":")[0]: [] for c in evidence.checks}
    for c in evidence.checks:
        held[c.claim.split(":")[0]].append(c.outcome() == "held")
    for step, case in (("1. optimization", "optimization"), ("2. model bias", "model bias"),
                       ("3. overfitting", "overfitting")):
        if step in held and all(held[step]):
            return case
    return "no problem found"


def diagnosis_table(m: dict) -> dict:
    rows = [[name, ", ".join(map(str, m["models"][name])) or "linear",
             sum(v["train"]) / len(v["train"]), sum(v["valid"]) / len(v["valid"])]
            for name, v in m["losses"].items()]
    return table("Compared models (mean over repeats)", ["model", "hidden widths",
                                                           "training loss", "validation loss"],
                 rows)


def _judge(m: dict, s: FitSettings) -> Evidence:
    return diagnosis_evidence(m["diagnosis"], s)


@experiment(name="diagnose", lecture=LECTURE, judge=_judge, job=True,
            claim="The training-strategy lecture's procedure: optimization, model bias or "
                  "overfitting?")
def diagnose_fit(s: FitSettings, ctx: RunContext) -> Result:
    m = diagnosis(ctx, s, load_training_table(s))
    summary = f"diagnosis of {s.target} from {s.train}: {m['case']}: {m['advice']}"
    return Result(metrics={"diagnosis": m, "summary": summary}, tables=[diagnosis_table(m)])


__all__ = ["ADVICE", "CASES", "case_of", "compared_models", "diagnosis", "diagnosis_evidence"]
